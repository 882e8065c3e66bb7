// Every service's migrations folder must build exactly the schema its schema.prisma describes: a
// schema edited without a migration (or a migration edited by hand) fails here, before deploy.
// Prisma's schema engine (wasm) replays the migrations on a scratch Postgres database and diffs.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createScratchDatabases,
  diffMigrationsToSchema,
  MIGRATION_LOCK_CONTENT,
  type ScratchDatabases,
} from '../tools/db/schemaDiff.ts';
import { SUBGRAPH_NAMES } from '../lib/services.ts';
import { TEST_SERVER_URL } from './support/databases.ts';

const ROOT_DIR = fileURLToPath(new URL('..', import.meta.url));
const SERVER_URL = TEST_SERVER_URL;

const migrationsDir = (service: string): string => join(ROOT_DIR, 'prisma', service, 'migrations');
const schemaPath = (service: string): string => join(ROOT_DIR, 'prisma', service, 'schema.prisma');

let databases: ScratchDatabases | undefined;
let scratchDir: string | undefined;

function scratchDatabases(): ScratchDatabases {
  if (!databases) throw new Error('scratch databases were not created');
  return databases;
}

function scratchPath(name: string): string {
  if (!scratchDir) throw new Error('scratch directory was not created');
  return join(scratchDir, name);
}

beforeAll(async () => {
  databases = await createScratchDatabases(SERVER_URL, 'test');
  scratchDir = await mkdtemp(join(tmpdir(), 'drift-test-'));
});

afterAll(async () => {
  await databases?.drop();
  if (scratchDir) await rm(scratchDir, { recursive: true, force: true });
});

describe.each(SUBGRAPH_NAMES)('prisma/%s', (service) => {
  it('has migrations that build exactly schema.prisma', async () => {
    const sql = await diffMigrationsToSchema({
      migrationsDir: migrationsDir(service),
      schemaPath: schemaPath(service),
      ...scratchDatabases(),
    });
    expect(sql).toBe('');
  });

  it('has the migration_lock.toml Prisma writes', async () => {
    // The differ assumes Postgres when the lockfile is missing, so its presence is checked here.
    expect(await readFile(join(migrationsDir(service), 'migration_lock.toml'), 'utf8')).toBe(MIGRATION_LOCK_CONTENT);
  });
});

describe('the drift check', () => {
  it('reports a field added to schema.prisma without a migration', async () => {
    const original = await readFile(schemaPath('orders'), 'utf8');
    const edited = original.replace(/^(\s*totalCents\s+Int)$/m, '$1\n  giftNote   String?');
    expect(edited).not.toBe(original);
    const editedPath = scratchPath('orders.prisma');
    await writeFile(editedPath, edited, 'utf8');

    const sql = await diffMigrationsToSchema({
      migrationsDir: migrationsDir('orders'),
      schemaPath: editedPath,
      ...scratchDatabases(),
    });

    expect(sql).toMatch(/ALTER TABLE "Order" ADD COLUMN\s+"giftNote" TEXT;/);
  });

  it('reports a migration that schema.prisma does not describe', async () => {
    const copied = scratchPath('orders-migrations');
    await cp(migrationsDir('orders'), copied, { recursive: true });
    await cp(join(copied, '20261126000000_init'), join(copied, '29991231235959_extra_index'), { recursive: true });
    await writeFile(
      join(copied, '29991231235959_extra_index', 'migration.sql'),
      'CREATE INDEX "Order_currency_idx" ON "Order"("currency");\n',
      'utf8',
    );

    const sql = await diffMigrationsToSchema({
      migrationsDir: copied,
      schemaPath: schemaPath('orders'),
      ...scratchDatabases(),
    });

    expect(sql).toContain('DROP INDEX "Order_currency_idx";');
  });
});
