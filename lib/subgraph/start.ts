import type { BaseContext } from '@apollo/server';
import { identitySigningConfigFromEnv } from '../auth/index.ts';
import { openServiceDatabase, withDirectReads, type ServiceDatabase } from '../db/index.ts';
import { z } from 'zod';
import { startGraphQLServer, type RequestInfo, type RunningServer } from '../http/index.ts';
import { currentRequestScope, type Logger } from '../observability/index.ts';
import { metricsAccessFromEnv } from '../observability/metrics/access.ts';
import { createServiceMetrics } from '../observability/metrics/registry.ts';
import { createSubgraphMetrics, type RequestOutcome } from '../observability/metrics/subgraph.ts';
import { subgraphApolloParts } from './apollo.ts';
import { LeanExecution } from './leanExecution.ts';
import { operationSpanPlugin } from '../observability/serverTracing.ts';
import type { RunningWorkers, SeedReport, ServicePrisma, SubgraphModule, SubgraphServer } from './module.ts';

export interface PrepareOptions {
  env?: NodeJS.ProcessEnv;
  logger: Logger;
  /** Seed the demo data at this scale after migrating (only inserts what is missing). */
  seedScale?: number | null;
}

export interface StartOptions extends PrepareOptions {
  port: number;
  host?: string;
  /** Start the module's background workers too (subgraph processes do; tests opt in). */
  workers?: boolean;
}

export interface PreparedDatabase<TPrisma> {
  database: ServiceDatabase;
  prisma: TPrisma;
  applied: string[];
  seedReport: SeedReport | null;
  close(): Promise<void>;
}

export interface StartedSubgraph<TPrisma> extends RunningServer {
  prisma: TPrisma;
  database: ServiceDatabase;
  seedReport: SeedReport | null;
}

/** Opens the service's database, applies its migrations and seeds it if asked. */
export async function prepareDatabase<TPrisma extends ServicePrisma, TContext extends BaseContext>(
  module: SubgraphModule<TPrisma, TContext>,
  options: PrepareOptions,
): Promise<PreparedDatabase<TPrisma>> {
  const { logger } = options;
  const database = await openServiceDatabase(module.name, {
    env: options.env,
    logger,
    poolSize: module.poolSize?.(options.env ?? process.env),
  });
  let prisma: TPrisma | null = null;
  try {
    const { applied } = await database.migrate(module.migrationsDir);
    if (applied.length) logger.info({ applied }, 'applied migrations');
    const created = module.createPrisma(database.adapter);
    // Hot read-only statements (rowsByKey, fetchChildPages, readRows) skip Prisma's pipeline on Postgres.
    const client = database.readPool ? withDirectReads(created, database.readPool) : created;
    prisma = client;
    const seedReport = options.seedScale ? await module.seed(client, options.seedScale) : null;
    if (seedReport?.seeded) logger.info({ rows: seedReport.rows }, 'seeded demo data');
    return {
      database,
      prisma: client,
      applied,
      seedReport,
      async close() {
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

/** Prepares the database, then serves the subgraph over HTTP. */
export async function startSubgraph<TPrisma extends ServicePrisma, TContext extends BaseContext>(
  module: SubgraphModule<TPrisma, TContext>,
  options: StartOptions,
): Promise<StartedSubgraph<TPrisma>> {
  // Read before the database is touched: a process without its signing secret must not start at all.
  const env = options.env ?? process.env;
  const signing = identitySigningConfigFromEnv(env);
  const metricsAccess = metricsAccessFromEnv(env);
  const prepared = await prepareDatabase(module, options);
  const { prisma, database } = prepared;
  let built: SubgraphServer<TContext> | null = null;
  try {
    const metrics = createServiceMetrics(module.name);
    const subgraph = module.buildServer({ prisma, logger: options.logger, signing, env, metrics });
    built = subgraph;
    const { apollo, context } = subgraph;
    const subgraphMetrics = createSubgraphMetrics(metrics, { db: prisma, pool: database.pool });
    apollo.addPlugin(subgraphMetrics.plugin);
    apollo.addPlugin(operationSpanPlugin());
    // Counted into the request that sent the statement (the scope follows its async calls).
    prisma.$on('query', () => {
      const scope = currentRequestScope();
      if (scope) scope.sqlStatements++;
    });
    const lean = leanExecutionFor(env, apollo, context, subgraphMetrics.observe);
    const server = await startGraphQLServer({
      apollo,
      context,
      ...(lean ? { front: lean.handler } : {}),
      metrics: { ...metrics, access: metricsAccess },
      logger: options.logger,
      port: options.port,
      host: options.host,
      ready: async () => {
        try {
          await prisma.$queryRawUnsafe('SELECT 1');
          return { ready: true, checks: { database: 'ok' } };
        } catch {
          return { ready: false, checks: { database: 'unreachable' } };
        }
      },
    });
    let workers: RunningWorkers | null = null;
    try {
      if (options.workers && module.startWorkers)
        workers = await module.startWorkers({ prisma, logger: options.logger, env, metrics });
    } catch (error) {
      await server.close();
      throw error;
    }
    return {
      ...server,
      prisma,
      database,
      seedReport: prepared.seedReport,
      async close(options?: { timeoutMs?: number }) {
        await server.close(options);
        // Consumers and relays, then the saga runner (its running steps finish their call), then the pools.
        await workers?.stop();
        await subgraph.close?.();
        await prepared.close();
      },
    };
  } catch (error) {
    await built?.close?.();
    await prepared.close();
    throw error;
  }
}

/**
 * The lean path in front of Apollo (leanExecution.ts) unless `SUBGRAPH_EXECUTION=apollo` asks for
 * Apollo's pipeline on every request (to compare the two); only for a server `createSubgraphApollo` made.
 */
function leanExecutionFor<TContext extends BaseContext>(
  env: NodeJS.ProcessEnv,
  apollo: object,
  context: (info: RequestInfo) => Promise<TContext>,
  observe: (outcome: RequestOutcome) => void,
): LeanExecution<TContext> | null {
  const { SUBGRAPH_EXECUTION } = z
    .object({ SUBGRAPH_EXECUTION: z.enum(['lean', 'apollo']).default('lean') })
    .parse(env);
  const parts = subgraphApolloParts(apollo);
  if (SUBGRAPH_EXECUTION === 'apollo' || !parts) return null;
  return new LeanExecution({ ...parts, context, observe });
}
