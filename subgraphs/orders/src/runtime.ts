import type { Logger } from '../../../lib/observability/index.ts';
import { sagaMetrics } from '../../../lib/observability/metrics/sagas.ts';
import type { ServiceMetrics } from '../../../lib/observability/metrics/registry.ts';
import type { CartDeps } from './cart/cart.ts';
import type { CheckoutDeps } from './checkout/placeOrder.ts';
import { idempotencyHashKey } from './checkout/idempotency.ts';
import { StockGate } from './checkout/stockGate.ts';
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
 * A runtime of its own: one saga runner (with its own lease owner) and one set of clients of the
 * other services. A process uses `acquireOrdersRuntime`; tests build several to play replicas.
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
    gate: new StockGate(),
    logger: deps.logger,
    async close() {
      await runner.stop();
      await providers.close();
    },
  };
}

interface Shared {
  runtime: OrdersRuntime;
  users: number;
}

/** The process's runtime per orders database client: the HTTP server and the workers get the same one. */
const shared = new WeakMap<OrdersPrisma, Shared>();

/**
 * The one runtime of this process: the server (whose requests start sagas) and the recovery worker
 * (which resumes them) share its saga runner, its clients of inventory, payments and products, and
 * so their breakers and bulkheads; one lease owner per process, as replicas are told apart. Each
 * caller's `close` releases its use; the last one closes the runtime.
 */
export function acquireOrdersRuntime(deps: {
  prisma: OrdersPrisma;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  metrics?: ServiceMetrics;
}): OrdersRuntime {
  let entry = shared.get(deps.prisma);
  if (!entry) {
    entry = { runtime: createOrdersRuntime(deps, 'process'), users: 0 };
    shared.set(deps.prisma, entry);
  }
  const current = entry;
  current.users += 1;
  let released = false;
  return {
    ...current.runtime,
    async close() {
      if (released) return;
      released = true;
      current.users -= 1;
      if (current.users > 0) return;
      shared.delete(deps.prisma);
      await current.runtime.close();
    },
  };
}
