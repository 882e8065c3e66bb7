import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabasesWithPrefix, TEST_SERVER_URL, uniquePrefix } from '../../test/support/databases.ts';
import { SUBGRAPH_NAMES } from '../services.ts';
import { applyMigrations, MigrationError, PRISMA_MIGRATE_LOCK_ID, readMigrations } from './migrate.ts';
import { openServiceDatabase, pgliteSession, type ServiceDatabase } from './open.ts';
import { ensurePgliteTemplate } from './pgliteTemplate.ts';
import { ensureDatabase, listDatabases } from './postgres.ts';
import { isPostgresTarget } from './target.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const prefix = uniquePrefix('migrate');
const postgresEnv: NodeJS.ProcessEnv = { DATABASE_URL: TEST_SERVER_URL, DATABASE_PREFIX: prefix };
let tmpRoot = '';

beforeAll(async () => {
  tmpRoot = await mkdtemp(join(tmpdir(), 'migrate-test-'));
});

afterAll(async () => {
  await dropDatabasesWithPrefix(prefix);
  expect(await listDatabases(TEST_SERVER_URL, prefix)).toEqual([]);
  if (tmpRoot) await rm(tmpRoot, { recursive: true, force: true });
});

// Fixtures in Prisma's layout. The second depends on the first, so applying them out of order fails.
const CREATE_WIDGET = '20260101000000_create_widget';
const ADD_WIDGET_COLOUR = '20260102000000_add_widget_colour';
const CREATE_GADGET = '20260103000000_create_gadget';

const SQL = {
  [CREATE_WIDGET]: `-- CreateTable
CREATE TABLE "Widget" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,

    CONSTRAINT "Widget_pkey" PRIMARY KEY ("id")
);
`,
  [ADD_WIDGET_COLOUR]: `-- AlterTable
ALTER TABLE "Widget" ADD COLUMN "colour" TEXT NOT NULL DEFAULT 'red';
`,
  [CREATE_GADGET]: `-- CreateTable
CREATE TABLE "Gadget" ("id" INTEGER NOT NULL);
`,
};

async function migrationsDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpRoot, 'migrations-'));
  await writeFile(join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
  return dir;
}

async function writeMigration(dir: string, name: string, sql: string): Promise<string> {
  await mkdir(join(dir, name), { recursive: true });
  const file = join(dir, name, 'migration.sql');
  await writeFile(file, sql);
  return file;
}

async function writeWidgetMigrations(dir: string): Promise<void> {
  await writeMigration(dir, ADD_WIDGET_COLOUR, SQL[ADD_WIDGET_COLOUR]);
  await writeMigration(dir, CREATE_WIDGET, SQL[CREATE_WIDGET]);
}

async function fileChecksum(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

type Row = Record<string, unknown>;

/** One fresh database plus a way to look into it that does not go through the runner. */
interface Database {
  migrate(dir: string): Promise<{ applied: string[] }>;
  rows(sql: string, params?: unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

interface Backend {
  name: string;
  open(service: string): Promise<Database>;
}

const postgres: Backend = {
  name: 'Postgres',
  async open(service) {
    const handle = await openServiceDatabase(service, { env: postgresEnv, poolSize: 2 });
    if (!isPostgresTarget(handle.target)) throw new Error('expected a Postgres target');
    const inspector = new pg.Client({ connectionString: handle.target.url });
    await inspector.connect();
    return {
      migrate: (dir) => handle.migrate(dir),
      rows: async (sql, params) => (await inspector.query<Row>(sql, params)).rows,
      async close() {
        await inspector.end();
        await handle.close();
      },
    };
  },
};

/**
 * A just-initialised PGlite cluster (the template npm start's new databases unpack, made once per
 * checkout): each test's database is loaded from it. PGlite's initdb costs 3-6 CPU-s per instance
 * here, loading the dump about 1; the database is the same.
 */
let freshCluster: Promise<Blob> | undefined;
function freshClusterDump(): Promise<Blob> {
  freshCluster ??= ensurePgliteTemplate();
  return freshCluster;
}

const pglite: Backend = {
  name: 'PGlite',
  async open() {
    const db = await PGlite.create({ loadDataDir: await freshClusterDump() });
    return {
      migrate: async (dir) => applyMigrations(pgliteSession(db), await readMigrations(dir)),
      rows: async (sql, params) => (await db.query<Row>(sql, params)).rows,
      close: () => db.close(),
    };
  },
};

async function records(db: Database): Promise<Row[]> {
  return db.rows(
    `SELECT migration_name, checksum, applied_steps_count, finished_at, rolled_back_at, logs
     FROM "_prisma_migrations" ORDER BY migration_name`,
  );
}

async function recordedNames(db: Database): Promise<string[]> {
  return (await records(db)).map((r) => String(r.migration_name));
}

async function tableExists(db: Database, table: string): Promise<boolean> {
  const [row] = await db.rows('SELECT to_regclass($1)::text AS name', [`"${table}"`]);
  return row?.name != null;
}

async function widgetColumns(db: Database): Promise<string[]> {
  const rows = await db.rows(
    `SELECT column_name::text AS name FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name = 'Widget' ORDER BY ordinal_position`,
  );
  return rows.map((r) => String(r.name));
}

async function migrateLocksHeld(db: Database): Promise<number> {
  // pg_locks lists the whole server, and advisory locks are per database: other files migrate too.
  // A one-argument bigint advisory lock shows up as classid = high 32 bits, objid = low 32 bits.
  const [row] = await db.rows(
    `SELECT count(*)::int AS n FROM pg_locks
     WHERE locktype = 'advisory' AND classid = 0 AND objid = $1
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [PRISMA_MIGRATE_LOCK_ID],
  );
  return Number(row?.n);
}

async function migrationFailure(run: Promise<unknown>): Promise<MigrationError> {
  const error: unknown = await run.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MigrationError);
  if (!(error instanceof MigrationError)) throw new Error('unreachable');
  return error;
}

async function using<T>(db: Database, fn: (db: Database) => Promise<T>): Promise<T> {
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

describe('readMigrations', () => {
  it('returns each folder’s script and checksum in name order, skipping files such as migration_lock.toml', async () => {
    const dir = await migrationsDir();
    // Created in reverse. libuv happens to list a directory sorted on Unix, so this pins the contract
    // (Prisma's name order) rather than catching a runner that forgets to sort there.
    const names = [
      '20260101000000_a',
      '20260102000000_b',
      '20260103000000_c',
      '20260104000000_d',
      '20260105000000_e',
      '20260106000000_f',
    ];
    for (const name of [...names].reverse()) await writeMigration(dir, name, `SELECT '${name}';\n`);

    const migrations = await readMigrations(dir);
    expect(migrations.map((m) => m.name)).toEqual(names);
    for (const m of migrations) {
      expect(m.script).toBe(`SELECT '${m.name}';\n`);
      expect(m.checksum).toBe(await fileChecksum(join(dir, m.name, 'migration.sql')));
    }
  });
});

describe.each([postgres, pglite])('applyMigrations on $name', (backend) => {
  it('applies a fresh database’s migrations in name order, records them as Prisma does, and then applies nothing', async () => {
    const dir = await migrationsDir();
    await writeWidgetMigrations(dir);

    await using(await backend.open('fresh'), async (db) => {
      expect(await db.migrate(dir)).toEqual({ applied: [CREATE_WIDGET, ADD_WIDGET_COLOUR] });
      expect(await widgetColumns(db)).toEqual(['id', 'name', 'colour']);

      const columns = await db.rows(
        `SELECT column_name::text AS name, data_type::text AS type, character_maximum_length::int AS length,
                is_nullable::text AS nullable, column_default::text AS "default"
         FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name = '_prisma_migrations' ORDER BY ordinal_position`,
      );
      expect(columns).toEqual([
        { name: 'id', type: 'character varying', length: 36, nullable: 'NO', default: null },
        { name: 'checksum', type: 'character varying', length: 64, nullable: 'NO', default: null },
        { name: 'finished_at', type: 'timestamp with time zone', length: null, nullable: 'YES', default: null },
        { name: 'migration_name', type: 'character varying', length: 255, nullable: 'NO', default: null },
        { name: 'logs', type: 'text', length: null, nullable: 'YES', default: null },
        { name: 'rolled_back_at', type: 'timestamp with time zone', length: null, nullable: 'YES', default: null },
        { name: 'started_at', type: 'timestamp with time zone', length: null, nullable: 'NO', default: 'now()' },
        { name: 'applied_steps_count', type: 'integer', length: null, nullable: 'NO', default: '0' },
      ]);
      const primaryKey = await db.rows(
        `SELECT tc.constraint_name::text AS name, kcu.column_name::text AS column
         FROM information_schema.table_constraints tc
         JOIN information_schema.key_column_usage kcu USING (constraint_schema, constraint_name)
         WHERE tc.table_name = '_prisma_migrations' AND tc.constraint_type = 'PRIMARY KEY'`,
      );
      expect(primaryKey).toEqual([{ name: '_prisma_migrations_pkey', column: 'id' }]);

      const rows = await records(db);
      expect(rows).toHaveLength(2);
      const expected = [CREATE_WIDGET, ADD_WIDGET_COLOUR];
      for (const [i, name] of expected.entries()) {
        const row = rows[i];
        expect(row).toMatchObject({
          migration_name: name,
          checksum: await fileChecksum(join(dir, name, 'migration.sql')),
          applied_steps_count: 1,
          rolled_back_at: null,
          logs: null,
        });
        expect(row?.finished_at).toBeInstanceOf(Date);
      }
      const ids = await db.rows('SELECT id FROM "_prisma_migrations"');
      for (const { id } of ids)
        expect(String(id)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(await migrateLocksHeld(db)).toBe(0);

      expect(await db.migrate(dir)).toEqual({ applied: [] });
      expect(await recordedNames(db)).toEqual(expected);
    });
  });

  it('refuses an applied migration edited by one byte, naming it, and applies nothing pending after it', async () => {
    const dir = await migrationsDir();
    await writeWidgetMigrations(dir);

    await using(await backend.open('edited'), async (db) => {
      await db.migrate(dir);
      const file = join(dir, CREATE_WIDGET, 'migration.sql');
      const original = await readFile(file);
      const edited = Buffer.from(original);
      edited[original.indexOf('Widget')] = 'w'.charCodeAt(0);
      await writeFile(file, edited);
      await writeMigration(dir, CREATE_GADGET, SQL[CREATE_GADGET]);

      const error = await migrationFailure(db.migrate(dir));
      expect(error.migrationName).toBe(CREATE_WIDGET);
      expect(error.message).toContain(CREATE_WIDGET);
      expect(await tableExists(db, 'Gadget')).toBe(false);
      expect(await recordedNames(db)).toEqual([CREATE_WIDGET, ADD_WIDGET_COLOUR]);
      expect(await migrateLocksHeld(db)).toBe(0);

      // The refusal leaves nothing stuck: with the file restored the pending one goes in.
      await writeFile(file, original);
      expect(await db.migrate(dir)).toEqual({ applied: [CREATE_GADGET] });
    });
  });

  it('accepts an applied migration whose only change is CRLF line endings, as Prisma does', async () => {
    const dir = await migrationsDir();
    await writeWidgetMigrations(dir);

    await using(await backend.open('crlf'), async (db) => {
      await db.migrate(dir);
      // What a Windows checkout with core.autocrlf=true makes of the file.
      await writeMigration(dir, CREATE_WIDGET, SQL[CREATE_WIDGET].replaceAll('\n', '\r\n'));
      expect(await db.migrate(dir)).toEqual({ applied: [] });
    });
  });

  it('rolls a failing migration back entirely, records nothing for it, keeps the one before, and applies it once fixed', async () => {
    const dir = await migrationsDir();
    await writeMigration(dir, CREATE_WIDGET, SQL[CREATE_WIDGET]);
    const broken = '20260102000000_broken';
    // The bad statement fails when it runs, not when the script is parsed, so the two before it ran.
    const file = await writeMigration(
      dir,
      broken,
      `CREATE TABLE "Gadget" ("id" INTEGER NOT NULL);
INSERT INTO "Widget" ("name") VALUES ('made by the broken migration');
INSERT INTO "Widget" ("no_such_column") VALUES (1);
`,
    );

    await using(await backend.open('failing'), async (db) => {
      const error = await migrationFailure(db.migrate(dir));
      expect(error.migrationName).toBe(broken);
      expect(error.message).toContain(broken);
      expect(error.message).toContain('no_such_column');

      expect(await tableExists(db, 'Gadget')).toBe(false);
      expect(await db.rows('SELECT name FROM "Widget"')).toEqual([]);
      expect(await recordedNames(db)).toEqual([CREATE_WIDGET]);
      expect(await migrateLocksHeld(db)).toBe(0);

      await writeFile(file, 'CREATE TABLE "Gadget" ("id" INTEGER NOT NULL);\n');
      expect(await db.migrate(dir)).toEqual({ applied: [broken] });
      expect(await tableExists(db, 'Gadget')).toBe(true);
      expect(await recordedNames(db)).toEqual([CREATE_WIDGET, broken]);
    });
  });

  it('refuses to go on past a migration Prisma left unfinished, until it is marked rolled back', async () => {
    const dir = await migrationsDir();
    await writeMigration(dir, CREATE_WIDGET, SQL[CREATE_WIDGET]);

    await using(await backend.open('unfinished'), async (db) => {
      await db.migrate(dir);
      await writeMigration(dir, ADD_WIDGET_COLOUR, SQL[ADD_WIDGET_COLOUR]);
      // The row `prisma migrate deploy` leaves behind when a migration fails half-way.
      await db.rows(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs, applied_steps_count)
         VALUES ($1, $2, $3, 'boom', 0)`,
        [randomUUID(), await fileChecksum(join(dir, ADD_WIDGET_COLOUR, 'migration.sql')), ADD_WIDGET_COLOUR],
      );

      const error = await migrationFailure(db.migrate(dir));
      expect(error.migrationName).toBe(ADD_WIDGET_COLOUR);
      expect(error.message).toContain(ADD_WIDGET_COLOUR);
      expect(await widgetColumns(db)).toEqual(['id', 'name']);

      // `prisma migrate resolve --rolled-back` sets rolled_back_at; the migration is then pending again.
      await db.rows(`UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE finished_at IS NULL`);
      expect(await db.migrate(dir)).toEqual({ applied: [ADD_WIDGET_COLOUR] });
      expect(await widgetColumns(db)).toEqual(['id', 'name', 'colour']);
    });
  });
});

describe('migrating one Postgres database from several connections at once', () => {
  it('applies every migration exactly once when four handles open and migrate the same fresh database together', async () => {
    const dir = await migrationsDir();
    // The sleep holds the first migrator inside its run while the others arrive.
    await writeMigration(dir, CREATE_WIDGET, `${SQL[CREATE_WIDGET]}SELECT pg_sleep(0.3);\n`);
    await writeMigration(dir, ADD_WIDGET_COLOUR, SQL[ADD_WIDGET_COLOUR]);

    const handles: ServiceDatabase[] = [];
    try {
      const results = await Promise.all(
        [1, 2, 3, 4].map(async () => {
          const handle = await openServiceDatabase('race', { env: postgresEnv, poolSize: 1 });
          handles.push(handle);
          return handle.migrate(dir);
        }),
      );
      expect(results.flatMap((r) => r.applied).sort()).toEqual([CREATE_WIDGET, ADD_WIDGET_COLOUR]);
      expect(results.filter((r) => r.applied.length > 0)).toHaveLength(1);
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }

    await using(await postgres.open('race'), async (db) => {
      expect(await recordedNames(db)).toEqual([CREATE_WIDGET, ADD_WIDGET_COLOUR]);
      expect(await db.rows(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'Widget'`)).toEqual([{ n: 1 }]);
      expect(await widgetColumns(db)).toEqual(['id', 'name', 'colour']);
    });
  });

  it('lets concurrent ensureDatabase calls for the same new name all succeed', async () => {
    for (const round of [1, 2, 3]) {
      const name = `${prefix}ensure_${round}`;
      await Promise.all([1, 2, 3, 4].map(() => ensureDatabase(TEST_SERVER_URL, name)));
      expect(await listDatabases(TEST_SERVER_URL, name)).toEqual([name]);
    }
  });
});

describe('the project’s own migrations', () => {
  const migrationsOf = (service: string): string => join(REPO_ROOT, 'prisma', service, 'migrations');

  it('apply to PGlite under DATA_DIR when DATABASE_URL is unset, and a reopened directory gets nothing twice', async () => {
    // The new directory is unpacked from the fresh-cluster template (no initdb of its own): it has
    // the template's cluster identifier, which initdb draws at random.
    const systemId = async (db: PGlite) =>
      (await db.query<Row>('SELECT system_identifier::text AS id FROM pg_control_system()')).rows[0]?.id;
    const template = await PGlite.create({ loadDataDir: await freshClusterDump() });
    const templateId = await systemId(template);
    await template.close();
    const dataDir = await mkdtemp(join(tmpRoot, 'data-'));
    const env: NodeJS.ProcessEnv = { DATA_DIR: dataDir };
    const dir = migrationsOf('users');
    const names = (await readMigrations(dir)).map((m) => m.name);
    expect(names.length).toBeGreaterThan(0);

    const first = await openServiceDatabase('users', { env });
    try {
      expect(first.target).toEqual({ kind: 'pglite', dataDir: join(dataDir, 'users') });
      expect(await first.migrate(dir)).toEqual({ applied: names });
    } finally {
      await first.close();
    }

    const again = await openServiceDatabase('users', { env });
    try {
      expect(await again.migrate(dir)).toEqual({ applied: [] });
    } finally {
      await again.close();
    }

    const db = await PGlite.create(join(dataDir, 'users'));
    try {
      expect(await systemId(db)).toBe(templateId);
      expect((await db.query(`SELECT to_regclass('"User"')::text AS name`)).rows).toEqual([{ name: '"User"' }]);
      const rows = (
        await db.query<Row>(
          'SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" ORDER BY migration_name',
        )
      ).rows;
      expect(rows.map((r) => r.migration_name)).toEqual(names);
      for (const row of rows) {
        expect(row.checksum).toBe(await fileChecksum(join(dir, String(row.migration_name), 'migration.sql')));
        expect(row.finished_at).toBeInstanceOf(Date);
      }
    } finally {
      await db.close();
    }
  });

  it.each(SUBGRAPH_NAMES)('apply to %s’s own database on Postgres', async (service) => {
    const dir = migrationsOf(service);
    const names = (await readMigrations(dir)).map((m) => m.name);
    expect(names.length).toBeGreaterThan(0);

    await using(await postgres.open(service), async (db) => {
      expect(await db.migrate(dir)).toEqual({ applied: names });
      expect(await recordedNames(db)).toEqual(names);
      expect(await db.migrate(dir)).toEqual({ applied: [] });
    });
  });
});
