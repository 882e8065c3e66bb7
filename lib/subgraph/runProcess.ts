import { closeOnSignals, shutdownConfigFromEnv } from '../http/index.ts';
import { z } from 'zod';
import { createLogger, startTracing } from '../observability/index.ts';
import { portVariable, SUBGRAPHS } from '../services.ts';
import { describeTarget } from '../db/describe.ts';
import type { SubgraphService } from './module.ts';

/** The entry point of a subgraph process: env read and checked once, graceful stop on SIGTERM/SIGINT. */
export async function runSubgraphProcess(service: SubgraphService): Promise<void> {
  const logger = createLogger(service.name);
  const env = z
    .object({
      [portVariable(service.name)]: z.coerce.number().int().min(0).max(65535).default(SUBGRAPHS[service.name].port),
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
  const port = Number(config[portVariable(service.name)]);
  try {
    const shutdown = shutdownConfigFromEnv();
    // Before anything connects: OTEL_* variables decide whether this process traces.
    const tracing = await startTracing(service.name);
    const server = await service.start({
      port,
      host: String(config.HOST),
      logger,
      workers: true,
      seedScale: config.SEED_ON_START === 'true' ? Number(config.SEED_SCALE) : null,
    });
    logger.info(
      { url: server.url, database: describeTarget(server.database.target) },
      `${service.name} subgraph ready`,
    );
    closeOnSignals(
      tracing
        ? { drain: () => server.drain(), close: (options) => server.close(options).finally(() => tracing.shutdown()) }
        : server,
      logger,
      shutdown,
    );
    // Tells a supervising `npm start` (an IPC channel) that this very process serves its port.
    process.send?.({ type: 'ready', url: server.url });
  } catch (error) {
    logger.fatal({ err: error }, `${service.name} failed to start`);
    process.exit(1);
  }
}
