import type { Logger } from '../../../lib/observability/index.ts';
import { sagaMetrics } from '../../../lib/observability/metrics/sagas.ts';
import type { ServiceMetrics } from '../../../lib/observability/metrics/registry.ts';
import type { CartDeps } from './cart/cart.ts';
import type { CheckoutDeps } from './checkout/placeOrder.ts';
import { idempotencyHashKey } from './checkout/idempotency.ts';
import { ordersConfigFromEnv, type OrdersConfig } from './config.ts';
import type { OrdersPrisma } from './db.ts';
import { createProviders } from './saga/providers.ts';
import { SagaRunner } from './saga/runner.ts';

/** What the orders commands run with: config, the other services' clients and a saga runner. */
export interface OrdersRuntime extends CheckoutDeps, CartDeps {
  config: OrdersConfig;
  close(): Promise<void>;
}

/**
 * Built once per use: the HTTP server has one (its runner drives the sagas its requests start), the
 * recovery worker another. Each runner has its own lease owner, so the two cooperate through the
 * database exactly as two replicas do.
 */
export function createOrdersRuntime(
  deps: { prisma: OrdersPrisma; logger: Logger; env: NodeJS.ProcessEnv; metrics?: ServiceMetrics },
  name: string,
): OrdersRuntime {
  const config = ordersConfigFromEnv(deps.env);
  const providers = createProviders(config, deps.logger);
  const runner = new SagaRunner({
    prisma: deps.prisma,
    providers,
    config: config.saga,
    logger: deps.logger,
    name,
    metrics: deps.metrics ? sagaMetrics(deps.metrics) : null,
  });
  return {
    config,
    prisma: deps.prisma,
    providers,
    runner,
    saga: config.saga,
    hashKey: idempotencyHashKey(config.signing.secret),
    logger: deps.logger,
    async close() {
      await runner.stop();
      await providers.close();
    },
  };
}
