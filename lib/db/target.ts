import { resolve } from 'node:path';
import { z } from 'zod';

/** Where a service's data lives: its own database on a Postgres server, or an embedded PGlite directory. */
export type DatabaseTarget =
  { kind: 'postgres'; url: string; database: string; serverUrl: string | null } | { kind: 'pglite'; dataDir: string };

export function isPostgresTarget(t: DatabaseTarget): t is Extract<DatabaseTarget, { kind: 'postgres' }> {
  return t.kind === 'postgres';
}

const DbEnv = z.object({
  DATABASE_URL: z.string().url().optional(),
  DATABASE_PREFIX: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'DATABASE_PREFIX may hold lower-case letters, digits and _ only')
    .default('bff_'),
  DATA_DIR: z.string().default('.data'),
});

/**
 * `<SERVICE>_DATABASE_URL` names a service's own database outright (one Postgres per service, as in
 * Kubernetes); otherwise `DATABASE_URL` names a server on which the service uses `<prefix><service>`,
 * created when missing; with neither, the service runs on PGlite under `<DATA_DIR>/<service>`.
 */
export function databaseTarget(service: string, env: NodeJS.ProcessEnv = process.env): DatabaseTarget {
  const own = env[`${service.toUpperCase()}_DATABASE_URL`];
  if (own) {
    const url = z.string().url().parse(own);
    return { kind: 'postgres', url, database: new URL(url).pathname.slice(1), serverUrl: null };
  }
  const parsed = DbEnv.safeParse(env);
  if (!parsed.success) {
    throw new Error(
      `Invalid database configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const { DATABASE_URL, DATABASE_PREFIX, DATA_DIR } = parsed.data;
  if (!DATABASE_URL) return { kind: 'pglite', dataDir: resolve(DATA_DIR, service) };
  const database = `${DATABASE_PREFIX}${service}`;
  const url = new URL(DATABASE_URL);
  url.pathname = `/${database}`;
  return { kind: 'postgres', url: url.toString(), database, serverUrl: DATABASE_URL };
}
