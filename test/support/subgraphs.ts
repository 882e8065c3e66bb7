import { silentLogger, type Logger } from '../../lib/observability/index.ts';
import { SUBGRAPH_NAMES, type SubgraphName } from '../../lib/services.ts';
import type { ServicePrisma, StartedSubgraph } from '../../lib/subgraph/index.ts';
import { SUBGRAPH_SERVICES } from '../../subgraphs/index.ts';
import { TEST_SIGNING_SECRET } from './auth.ts';
import { databaseEnv, dropDatabasesWithPrefix } from './databases.ts';

export interface SubgraphFleet {
  servers: Record<SubgraphName, StartedSubgraph<ServicePrisma>>;
  urls: Record<SubgraphName, string>;
  close(): Promise<void>;
}

export interface FleetOptions {
  seedScale?: number;
  logger?: Logger;
  /** Also start each service's background workers (event consumers, outbox relays), configured by `env`. */
  workers?: boolean;
  /** Added to every service's env (REDIS_URL, REDIS_KEY_PREFIX, EVENTS_*...). */
  env?: NodeJS.ProcessEnv;
}

/**
 * The six subgraphs in this process on ephemeral ports, each on its own database `<prefix><name>`
 * on the test Postgres, migrated and seeded. `close` stops them and drops the databases.
 */
export async function startSubgraphs(prefix: string, options: FleetOptions = {}): Promise<SubgraphFleet> {
  const env = { ...databaseEnv(prefix), ...options.env, GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET };
  const started = await Promise.all(
    SUBGRAPH_NAMES.map(async (name) => {
      const server = await SUBGRAPH_SERVICES[name].start({
        env,
        port: 0,
        logger: options.logger ?? silentLogger(),
        seedScale: options.seedScale ?? 1,
        workers: options.workers ?? false,
      });
      return [name, server] as const;
    }),
  );
  const servers = Object.fromEntries(started) as Record<SubgraphName, StartedSubgraph<ServicePrisma>>;
  return {
    servers,
    urls: Object.fromEntries(started.map(([name, s]) => [name, s.url])) as Record<SubgraphName, string>,
    async close() {
      await Promise.all(Object.values(servers).map((s) => s.close()));
      await dropDatabasesWithPrefix(prefix);
    },
  };
}
