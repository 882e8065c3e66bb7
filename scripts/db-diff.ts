// `npx tsx scripts/db-diff.ts <service> [--create <name>]`: what SQL would take a database migrated
// with prisma/<service>/migrations to prisma/<service>/schema.prisma; with --create, written as the
// next migration. Works offline (Prisma's schema engine as wasm, tools/db/schemaDiff.ts) but needs a
// Postgres server: DATABASE_URL, on which two scratch databases live for the run.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createMigration, diffMigrationsToSchema, withScratchDatabases } from '../tools/db/schemaDiff.ts';
import { isSubgraphName, SUBGRAPH_NAMES } from '../lib/services.ts';

const ROOT_DIR = fileURLToPath(new URL('..', import.meta.url));
const USAGE = `usage: npx tsx scripts/db-diff.ts <${SUBGRAPH_NAMES.join('|')}> [--create <name>]`;

const Env = z.object({
  DATABASE_URL: z.string().url().default('postgresql://postgres@127.0.0.1:5432/postgres'),
});

/** The SQL exactly as it is (or would be) in migration.sql, ending the line for the terminal. */
function printSql(sql: string): void {
  process.stdout.write(sql.endsWith('\n') ? sql : `${sql}\n`);
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { create: { type: 'string' } } });
  const [service, ...extra] = positionals;
  if (service === undefined || extra.length > 0 || !isSubgraphName(service)) {
    console.error(USAGE);
    return 64;
  }
  const env = Env.safeParse(process.env);
  if (!env.success) {
    console.error(`DATABASE_URL: ${env.error.issues.map((issue) => issue.message).join('; ')}`);
    return 64;
  }
  const paths = {
    migrationsDir: join(ROOT_DIR, 'prisma', service, 'migrations'),
    schemaPath: join(ROOT_DIR, 'prisma', service, 'schema.prisma'),
  };

  return withScratchDatabases(env.data.DATABASE_URL, service, async (databases) => {
    if (values.create !== undefined) {
      const migration = await createMigration({ ...paths, ...databases, name: values.create });
      printSql(migration.script);
      console.error(`Wrote prisma/${service}/migrations/${migration.name}/migration.sql`);
      return 0;
    }
    const sql = await diffMigrationsToSchema({ ...paths, ...databases });
    if (sql) printSql(sql);
    else console.error(`prisma/${service}: the migrations match schema.prisma`);
    return 0;
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
