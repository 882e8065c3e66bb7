import type { BaseContext } from '@apollo/server';
import { openServiceDatabase, type ServiceDatabase } from '../db/index.ts';
import { startGraphQLServer, type RunningServer } from '../http/index.ts';
import type { Logger } from '../observability/index.ts';
import type { SeedReport, ServicePrisma, SubgraphModule } from './module.ts';

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  port: number;
  host?: string;
  logger: Logger;
  /** Seed the demo data at this scale after migrating (only inserts what is missing). */
  seedScale?: number | null;
}

export interface StartedSubgraph<TPrisma> extends RunningServer {
  prisma: TPrisma;
  database: ServiceDatabase;
  seedReport: SeedReport | null;
}

/** Opens the service's database, applies its migrations, seeds if asked, then serves it over HTTP. */
export async function startSubgraph<TPrisma extends ServicePrisma, TContext extends BaseContext>(
  module: SubgraphModule<TPrisma, TContext>,
  options: StartOptions,
): Promise<StartedSubgraph<TPrisma>> {
  const { logger } = options;
  const database = await openServiceDatabase(module.name, { env: options.env });
  let prisma: TPrisma | null = null;
  try {
    const { applied } = await database.migrate(module.migrationsDir);
    if (applied.length) logger.info({ applied }, 'applied migrations');
    prisma = module.createPrisma(database.adapter);
    const client = prisma;
    const seedReport = options.seedScale ? await module.seed(client, options.seedScale) : null;
    if (seedReport?.seeded) logger.info({ rows: seedReport.rows }, 'seeded demo data');
    const { apollo, context } = module.buildServer({ prisma: client, logger });
    const server = await startGraphQLServer({
      apollo,
      context,
      logger,
      port: options.port,
      host: options.host,
      ready: async () => {
        try {
          await client.$queryRawUnsafe('SELECT 1');
          return { ready: true, checks: { database: 'ok' } };
        } catch {
          return { ready: false, checks: { database: 'unreachable' } };
        }
      },
    });
    return {
      ...server,
      prisma: client,
      database,
      seedReport,
      async close() {
        await server.close();
        await client.$disconnect();
        await database.close();
      },
    };
  } catch (error) {
    await prisma?.$disconnect();
    await database.close();
    throw error;
  }
}
