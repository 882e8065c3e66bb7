import type { IncomingMessage } from 'node:http';
import { silentLogger, type Logger } from '../../lib/observability/index.ts';
import { SUBGRAPH_NAMES, urlVariable, type SubgraphName } from '../../lib/services.ts';
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
  /** Databases that outlive the fleet (the run's shared seeded ones): `close` leaves them. */
  keepDatabases?: boolean;
}

/** The services orders calls (its checkout saga's providers and products' prices): started before it. */
const ORDERS_PROVIDERS: readonly SubgraphName[] = ['inventory', 'payments', 'products'];

/**
 * The six subgraphs in this process on ephemeral ports, each on its own database `<prefix><name>`
 * on the test Postgres, migrated and seeded. Orders starts last, told where its providers listen
 * (`INVENTORY_URL`, `PAYMENTS_URL`, `PRODUCTS_URL`). `close` stops them and drops the databases.
 */
export async function startSubgraphs(prefix: string, options: FleetOptions = {}): Promise<SubgraphFleet> {
  const env = { ...databaseEnv(prefix), GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET, ...options.env };
  const start = async (name: SubgraphName, serviceEnv: NodeJS.ProcessEnv) =>
    [
      name,
      await SUBGRAPH_SERVICES[name].start({
        env: serviceEnv,
        port: 0,
        logger: options.logger ?? silentLogger(),
        seedScale: options.seedScale ?? 1,
        workers: options.workers ?? false,
      }),
    ] as const;
  const first = await Promise.all(SUBGRAPH_NAMES.filter((name) => name !== 'orders').map((name) => start(name, env)));
  const providerUrls = Object.fromEntries(
    first.filter(([name]) => ORDERS_PROVIDERS.includes(name)).map(([name, server]) => [urlVariable(name), server.url]),
  );
  const started = [...first, await start('orders', { ...env, ...providerUrls })];
  const servers = Object.fromEntries(started) as Record<SubgraphName, StartedSubgraph<ServicePrisma>>;
  return {
    servers,
    urls: Object.fromEntries(started.map(([name, s]) => [name, s.url])) as Record<SubgraphName, string>,
    async close() {
      await Promise.all(Object.values(servers).map((s) => s.close()));
      if (!options.keepDatabases) await dropDatabasesWithPrefix(prefix);
    },
  };
}

export interface SubgraphRequestCounter {
  /** GraphQL requests `name` received since the counter started or was last reset. */
  of(name: SubgraphName): number;
  /** Every subgraph's count (zero included). */
  all(): Record<SubgraphName, number>;
  reset(): void;
  /** Stops counting (the counts stay readable). */
  stop(): void;
}

/**
 * Counts the GraphQL requests (POST /graphql) each subgraph of the fleet receives: what the gateways
 * fetch for operations. Their health checks are not counted. The fleet's servers are in this process,
 * so the counts are this file's alone.
 */
export function countSubgraphRequests(fleet: SubgraphFleet): SubgraphRequestCounter {
  const counts = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, 0])) as Record<SubgraphName, number>;
  const listeners = SUBGRAPH_NAMES.map((name) => {
    const listener = (req: IncomingMessage) => {
      if (req.method === 'POST' && req.url?.startsWith('/graphql')) counts[name] += 1;
    };
    fleet.servers[name].httpServer.on('request', listener);
    return [name, listener] as const;
  });
  return {
    of: (name) => counts[name],
    all: () => ({ ...counts }),
    reset: () => {
      for (const name of SUBGRAPH_NAMES) counts[name] = 0;
    },
    stop: () => {
      for (const [name, listener] of listeners) fleet.servers[name].httpServer.off('request', listener);
    },
  };
}
