export { openServiceDatabase, pgliteSession, type ServiceDatabase, type OpenOptions } from './open.ts';
export {
  applyMigrations,
  readMigrations,
  migrationChecksum,
  MigrationError,
  PRISMA_MIGRATE_LOCK_ID,
  type SqlSession,
  type Migration,
} from './migrate.ts';
export { databaseTarget, isPostgresTarget, type DatabaseTarget } from './target.ts';
export { ensureDatabase, dropDatabase, listDatabases } from './postgres.ts';
export { countQueries, type QueryCounter } from './queryCounter.ts';
export { describeTarget } from './describe.ts';
export { fetchChildPages, type RawQuerier, type ChildList, type WithParent } from './pagedChildren.ts';
export { rowsByKey, type KeyedTable } from './rowsByKey.ts';
export { readRows, withDirectReads, type StatementEvent } from './directReads.ts';
