import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The least a migration needs from a connection; pg and PGlite both provide it. */
export interface SqlSession {
  query(sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
  /** Runs a script of several statements (simple query protocol, no parameters). */
  exec(script: string): Promise<void>;
}

export interface Migration {
  name: string;
  script: string;
  checksum: string;
}

/** The advisory lock id `prisma migrate` takes, so our runner and Prisma's CLI exclude each other. */
export const PRISMA_MIGRATE_LOCK_ID = 72707369;

/** The table exactly as Prisma's schema engine creates it, so `prisma migrate deploy` can take over. */
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export class MigrationError extends Error {
  constructor(
    message: string,
    readonly migrationName: string,
  ) {
    super(message);
    this.name = 'MigrationError';
  }
}

/** Prisma's checksum: sha256 of the migration.sql bytes, hex. */
export function migrationChecksum(script: string): string {
  return createHash('sha256').update(script, 'utf8').digest('hex');
}

/**
 * Whether a script still matches the checksum recorded when it was applied. As in Prisma's
 * `script_matches_checksum`, a change of line endings alone is not an edit: git's autocrlf turns LF
 * into CRLF on Windows checkouts, and `prisma migrate deploy` accepts such a file.
 */
function scriptMatchesChecksum(script: string, recorded: string): boolean {
  return [script, script.replaceAll('\r\n', '\n'), script.replaceAll('\n', '\r\n')].some(
    (variant) => migrationChecksum(variant) === recorded,
  );
}

/** Reads `<dir>/<timestamp>_<name>/migration.sql` in name order, as `prisma migrate deploy` does. */
export async function readMigrations(dir: string): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const script = await readFile(join(dir, name, 'migration.sql'), 'utf8');
      return { name, script, checksum: migrationChecksum(script) };
    }),
  );
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: unknown;
  rolled_back_at: unknown;
}

function isAppliedRow(row: Record<string, unknown>): row is Record<string, unknown> & AppliedRow {
  return typeof row.migration_name === 'string' && typeof row.checksum === 'string';
}

/**
 * Applies the pending migrations under Prisma's advisory lock, each in its own transaction together
 * with its `_prisma_migrations` row, so a crash leaves either the whole migration or none of it.
 * Refuses to go on when an applied migration was edited or a previous one failed half-way.
 */
export async function applyMigrations(session: SqlSession, migrations: Migration[]): Promise<{ applied: string[] }> {
  await session.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_ID]);
  try {
    await session.exec(CREATE_MIGRATIONS_TABLE);
    const rows = (
      await session.query(
        'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
      )
    ).filter(isAppliedRow);
    const live = rows.filter((r) => r.rolled_back_at === null);
    const failed = live.find((r) => r.finished_at === null);
    if (failed) {
      throw new MigrationError(
        `Migration ${failed.migration_name} started but never finished; fix the database and mark it rolled back or applied before migrating again`,
        failed.migration_name,
      );
    }
    const appliedByName = new Map(live.map((r) => [r.migration_name, r]));
    for (const migration of migrations) {
      const row = appliedByName.get(migration.name);
      if (row && !scriptMatchesChecksum(migration.script, row.checksum)) {
        throw new MigrationError(
          `Migration ${migration.name} was edited after it was applied (checksum ${migration.checksum} != recorded ${row.checksum}); add a new migration instead`,
          migration.name,
        );
      }
    }
    const applied: string[] = [];
    for (const migration of migrations.filter((m) => !appliedByName.has(m.name))) {
      await applyOne(session, migration);
      applied.push(migration.name);
    }
    return { applied };
  } finally {
    await session.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_ID]);
  }
}

async function applyOne(session: SqlSession, migration: Migration): Promise<void> {
  await session.exec('BEGIN');
  try {
    await session.exec(migration.script);
    await session.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), now(), 1)`,
      [randomUUID(), migration.checksum, migration.name],
    );
    await session.exec('COMMIT');
  } catch (error) {
    await session.exec('ROLLBACK');
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError(`Migration ${migration.name} failed and was rolled back: ${reason}`, migration.name);
  }
}
