import { silentLogger, type Logger } from '../../lib/observability/index.ts';
import { SUBGRAPH_NAMES, type SubgraphName } from '../../lib/services.ts';
import { startSubgraph, type StartedSubgraph, type ServicePrisma, type SubgraphModule } from '../../lib/subgraph/index.ts';
import { inventoryService } from '../../subgraphs/inventory/src/service.ts';
import { ordersService } from '../../subgraphs/orders/src/service.ts';
import { paymentsService } from '../../subgraphs/payments/src/service.ts';
import { productsService } from '../../subgraphs/products/src/service.ts';
import { reviewsService } from '../../subgraphs/reviews/src/service.ts';
import { usersService } from '../../subgraphs/users/src/service.ts';
import { databaseEnv, dropDatabasesWithPrefix } from './databases.ts';

export const SERVICES = {
  users: usersService,
  products: productsService,
  inventory: inventoryService,
  orders: ordersService,
  payments: paymentsService,
  reviews: reviewsService,
} satisfies Record<SubgraphName, SubgraphModule<ServicePrisma, never>>;

export interface SubgraphFleet {
  servers: Record<SubgraphName, StartedSubgraph<ServicePrisma>>;
  urls: Record<SubgraphName, string>;
  close(): Promise<void>;
}

/**
 * The six subgraphs in this process on ephemeral ports, each on its own database `<prefix><name>`
 * on the test Postgres, migrated and seeded. `close` stops them and drops the databases.
 */
export async function startSubgraphs(prefix: string, options: { seedScale?: number; logger?: Logger } = {}): Promise<SubgraphFleet> {
  const env = databaseEnv(prefix);
  const started = await Promise.all(
    SUBGRAPH_NAMES.map(async (name) => {
      const module = SERVICES[name] as SubgraphModule<ServicePrisma, never>;
      const server = await startSubgraph(module, { env, port: 0, logger: options.logger ?? silentLogger(), seedScale: options.seedScale ?? 1 });
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
