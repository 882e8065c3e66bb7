import type { BaseContext } from '@apollo/server';
import { z } from 'zod';
import { createLogger } from '../observability/index.ts';
import { portVariable, SUBGRAPHS } from '../services.ts';
import { describeTarget } from '../db/describe.ts';
import type { ServicePrisma, SubgraphModule } from './module.ts';
import { startSubgraph } from './start.ts';

/** The entry point of a subgraph process: env read and checked once, graceful stop on SIGTERM/SIGINT. */
export async function runSubgraphProcess<TPrisma extends ServicePrisma, TContext extends BaseContext>(
  module: SubgraphModule<TPrisma, TContext>,
): Promise<void> {
  const logger = createLogger(module.name);
  const env = z
    .object({
      [portVariable(module.name)]: z.coerce.number().int().min(0).max(65535).default(SUBGRAPHS[module.name].port),
      HOST: z.string().default('127.0.0.1'),
      SEED_ON_START: z.enum(['true', 'false']).default('false'),
      SEED_SCALE: z.coerce.number().positive().max(1000).default(1),
    })
    .safeParse(process.env);
  if (!env.success) {
    logger.fatal(`Invalid environment: ${env.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    process.exit(2);
  }
  const config = env.data;
  const port = Number(config[portVariable(module.name)]);
  try {
    const server = await startSubgraph(module, {
      port,
      host: String(config.HOST),
      logger,
      seedScale: config.SEED_ON_START === 'true' ? Number(config.SEED_SCALE) : null,
    });
    logger.info({ url: server.url, database: describeTarget(server.database.target) }, `${module.name} subgraph ready`);
    const stop = async (signal: string) => {
      logger.info({ signal }, 'stopping');
      await server.close();
      process.exit(0);
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
  } catch (error) {
    logger.fatal({ err: error }, `${module.name} failed to start`);
    process.exit(1);
  }
}
