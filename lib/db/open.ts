import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { applyMigrations, readMigrations, type SqlSession } from './migrate.ts';
import type { Logger } from '../observability/index.ts';
import { isFreshDataDir, readPgliteTemplate } from './pgliteTemplate.ts';
import { ensureDatabase } from './postgres.ts';
import { databaseTarget, type DatabaseTarget } from './target.ts';

/** A service's database, opened: a Prisma adapter for its client, plus migrations and shutdown. */
export interface ServiceDatabase {
  target: DatabaseTarget;
  adapter: SqlMigrationAwareDriverAdapterFactory;
  migrate(migrationsDir: string): Promise<{ applied: string[] }>;
  /** The connection pool now (Postgres; PGlite has one connection and no pool): for metrics. */
  pool?: () => PoolFigures;
  /** The Postgres pool itself, for reads that skip Prisma (`withDirectReads`); absent on PGlite. */
  readPool?: pg.Pool;
  close(): Promise<void>;
}

export interface PoolFigures {
  total: number;
  idle: number;
  waiting: number;
}

export interface OpenOptions {
  env?: NodeJS.ProcessEnv;
  /** Connections in the service's pool (Postgres only; PGlite has one). */
  poolSize?: number;
  logger?: Logger;
  /**
   * Every transaction read-only (checkers and reports that must never write a service's tables), and
   * a missing database is an error rather than created.
   */
  readOnly?: boolean;
}

export async function openServiceDatabase(service: string, options: OpenOptions = {}): Promise<ServiceDatabase> {
  const target = databaseTarget(service, options.env);
  const readOnly = options.readOnly ?? false;
  return target.kind === 'postgres'
    ? openPostgres(target, options.poolSize ?? 10, readOnly, options.logger)
    : openPglite(target, readOnly);
}

async function openPostgres(
  target: Extract<DatabaseTarget, { kind: 'postgres' }>,
  poolSize: number,
  readOnly: boolean,
  logger?: Logger,
): Promise<ServiceDatabase> {
  if (target.serverUrl && !readOnly) await ensureDatabase(target.serverUrl, target.database);
  const pool = new pg.Pool({
    connectionString: target.url,
    max: poolSize,
    ...(readOnly ? { options: '-c default_transaction_read_only=on' } : {}),
  });
  // An idle connection dropped by the server (restart, failover) surfaces here; without a listener
  // it would crash the process. The pool replaces the connection on next use.
  pool.on('error', (error) => logger?.warn({ err: error, database: target.database }, 'idle database connection lost'));
  return {
    target,
    adapter: new PrismaPg(pool),
    async migrate(migrationsDir) {
      // A dedicated connection: the advisory lock is held by the session that took it.
      const client = await pool.connect();
      try {
        return await applyMigrations(pgSession(client), await readMigrations(migrationsDir));
      } finally {
        client.release();
      }
    },
    pool: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    readPool: pool,
    close: () => pool.end(),
  };
}

function pgSession(client: pg.PoolClient): SqlSession {
  return {
    async query(sql, params) {
      return (await client.query(sql, params)).rows as Array<Record<string, unknown>>;
    },
    async exec(script) {
      await client.query(script);
    },
  };
}

async function openPglite(
  target: Extract<DatabaseTarget, { kind: 'pglite' }>,
  readOnly: boolean,
): Promise<ServiceDatabase> {
  await mkdir(target.dataDir, { recursive: true });
  // A new database unpacks the prebuilt fresh cluster when there is one (pgliteTemplate.ts), else PGlite runs initdb.
  const template = isFreshDataDir(target.dataDir) ? await readPgliteTemplate() : null;
  const db = await PGlite.create(target.dataDir, template ? { loadDataDir: template } : {});
  // PGlite has a single session, so the setting holds for every statement of this handle.
  if (readOnly) await db.exec('SET default_transaction_read_only = on');
  return {
    target,
    adapter: new PrismaPGlite(db),
    async migrate(migrationsDir) {
      return applyMigrations(pgliteSession(db), await readMigrations(migrationsDir));
    },
    close: () => db.close(),
  };
}

export function pgliteSession(db: PGlite): SqlSession {
  return {
    async query(sql, params) {
      return (await db.query<Record<string, unknown>>(sql, params)).rows;
    },
    async exec(script) {
      await db.exec(script);
    },
  };
}
