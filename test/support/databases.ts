import { randomBytes } from 'node:crypto';
import { dropDatabase, listDatabases } from '../../lib/db/index.ts';

export const TEST_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** A database-name prefix of a test file's own: its databases never collide with another file's. */
export function uniquePrefix(label: string): string {
  return `t_${label
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 12)}_${randomBytes(4).toString('hex')}_`;
}

/** The env a service needs to use its own database under `prefix` on the test server. */
export function databaseEnv(prefix: string): NodeJS.ProcessEnv {
  return { ...process.env, DATABASE_URL: TEST_SERVER_URL, DATABASE_PREFIX: prefix };
}

export async function dropDatabasesWithPrefix(prefix: string): Promise<void> {
  // In parallel: each DROP DATABASE waits for a checkpoint, and concurrent requests share one.
  await Promise.all((await listDatabases(TEST_SERVER_URL, prefix)).map((name) => dropDatabase(TEST_SERVER_URL, name)));
}
