import { setTimeout as sleep } from 'node:timers/promises';
import { openServiceDatabase } from '../../../../lib/db/index.ts';
import { silentLogger } from '../../../../lib/observability/index.ts';
import { demoData } from '../../../../lib/seed/index.ts';
import type { ServicePrisma, StartedSubgraph } from '../../../../lib/subgraph/index.ts';
import { gatewaySigned, postToSubgraph, TEST_SIGNING_SECRET } from '../../../../test/support/auth.ts';
import { databaseEnv, dropDatabasesWithPrefix, uniquePrefix } from '../../../../test/support/databases.ts';
import type { GraphQLResponse } from '../../../../test/support/gateway.ts';
import { startSagaStandIns, type SagaStandIns } from '../../../../test/support/sagaStandIns.ts';
import { SUBGRAPH_SERVICES } from '../../../index.ts';
import { createPrisma, type OrdersPrisma } from '../../src/db.ts';
import { ordersService } from '../../src/service.ts';

export interface OrdersHarness {
  /** Env of the orders service: its database, the stand-ins' and products' URLs, the signing secret. */
  env: NodeJS.ProcessEnv;
  products: StartedSubgraph<ServicePrisma>;
  orders: StartedSubgraph<ServicePrisma>;
  standIns: SagaStandIns;
  /** A client of the orders database of the test's own (assertions, clock changes). */
  db: OrdersPrisma;
  /** POSTs to the orders subgraph as a gateway signed for `userId` (null: anonymous). */
  gql(
    userId: string | null,
    query: string,
    variables?: Record<string, unknown>,
    url?: string,
  ): Promise<GraphQLResponse>;
  /** Another orders instance on the same database (a replica, or the process after a crash). */
  startOrders(options?: { env?: NodeJS.ProcessEnv; workers?: boolean }): Promise<StartedSubgraph<ServicePrisma>>;
  close(): Promise<void>;
}

/** Saga timing that keeps tests short: small backoff, a lease that expires quickly after a crash. */
export const FAST_SAGA_ENV = {
  CHECKOUT_RETRY_BASE_MS: '20',
  CHECKOUT_RETRY_MAX_MS: '100',
  CHECKOUT_LEASE_MS: '1500',
  CHECKOUT_RECOVERY_INTERVAL_MS: '200',
  // The stand-ins answer at once or fail on purpose, so attempts are counted exactly: a timeout far
  // above a busy machine's latency (only a hanging stand-in reaches it), a breaker that recovers
  // quickly. Products is real and its first answers are slow on a busy machine.
  SUBGRAPH_POLICY: JSON.stringify({ timeoutMs: 3000, budgetMs: 6000, breaker: { resetTimeoutMs: 300 } }),
  PRODUCTS_POLICY: JSON.stringify({ timeoutMs: 5000, budgetMs: 10000 }),
};

/**
 * Orders on its own database with the real products subgraph (seeded: prices come from there) and
 * stand-ins for inventory and payments. `workers`: start orders' recovery worker and outbox relay.
 */
export async function startOrdersHarness(
  label: string,
  options: { env?: NodeJS.ProcessEnv; workers?: boolean } = {},
): Promise<OrdersHarness> {
  const prefix = uniquePrefix(label);
  const standIns = await startSagaStandIns();
  const base = { ...databaseEnv(prefix), GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET };
  const logger = silentLogger();
  const products = await SUBGRAPH_SERVICES.products.start({ env: base, port: 0, logger, seedScale: 1 });
  const env: NodeJS.ProcessEnv = {
    ...base,
    ...FAST_SAGA_ENV,
    ...standIns.env,
    PRODUCTS_URL: products.url,
    ...options.env,
  };
  const extra: Array<StartedSubgraph<ServicePrisma>> = [];
  const startOrders = async (more: { env?: NodeJS.ProcessEnv; workers?: boolean } = {}) => {
    const server = await ordersService.start({
      env: { ...env, ...more.env },
      port: 0,
      logger,
      seedScale: 1,
      workers: more.workers ?? false,
    });
    extra.push(server);
    return server;
  };
  const orders = await startOrders({ workers: options.workers });
  const database = await openServiceDatabase('orders', { env, poolSize: 4 });
  const db = createPrisma(database.adapter);
  return {
    env,
    products,
    orders,
    standIns,
    db,
    gql: (userId, query, variables = {}, url = orders.url) =>
      postToSubgraph(url, query, variables, gatewaySigned({ userId, client: 'web' })),
    startOrders,
    async close() {
      for (const server of extra.reverse()) await server.close().catch(() => undefined);
      await products.close();
      await standIns.close();
      await db.$disconnect();
      await database.close();
      await dropDatabasesWithPrefix(prefix);
    },
  };
}

/** Products of the seeded catalogue with their prices, for carts. */
export function catalogue() {
  return demoData(1).products.map((p) => ({ id: p.id, priceCents: p.priceCents }));
}

export const CARDS = {
  visa: { number: '4242424242424242', expMonth: 12, expYear: 2035, cvc: '123' },
  declined: { number: '4000000000000002', expMonth: 12, expYear: 2035, cvc: '123' },
  insufficientFunds: { number: '4000000000009995', expMonth: 12, expYear: 2035, cvc: '123' },
  alwaysTransient: { number: '4000000000000119', expMonth: 12, expYear: 2035, cvc: '123' },
  transientTwice: { number: '4000000000000259', expMonth: 12, expYear: 2035, cvc: '123' },
  mastercard: { number: '5555555555554444', expMonth: 1, expYear: 2036, cvc: '999' },
} as const;

/**
 * Polls until `read` returns something (not undefined), at most `timeoutMs`: waiting, not timing.
 * On a timeout the error carries `explain()`'s account of the state, to diagnose what was stuck.
 */
export async function eventually<T>(
  read: () => T | undefined | Promise<T | undefined>,
  what: string,
  options: { timeoutMs?: number; explain?: () => Promise<string> } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`Timed out waiting for ${what}${options.explain ? `: ${await options.explain()}` : ''}`);
    await sleep(50);
  }
}

/** A saga's log, compactly: what to print when a test waited for it in vain. */
export async function describeStream(h: OrdersHarness, streamId: string): Promise<string> {
  const events = await h.db.orderEvent.findMany({ where: { streamId }, orderBy: { version: 'asc' } });
  return events.map((e) => `${e.version} ${e.type} ${JSON.stringify(e.data)}`).join('; ') || 'no events';
}

export const ORDER_FIELDS = `id status statusReason total { amountCents currency } itemCount
  items { product { id } quantity unitPrice { amountCents } }
  saga { id kind state reason deadline steps { name status attempts at error } }
  cancellation { id kind state reason steps { name status attempts error } }`;

export interface OrderAnswer {
  id: string;
  status: string;
  statusReason: string | null;
  total: { amountCents: number; currency: string };
  itemCount: number;
  items: Array<{ product: { id: string }; quantity: number; unitPrice: { amountCents: number } }>;
  saga: {
    id: string;
    kind: string;
    state: string;
    reason: string | null;
    deadline: string | null;
    steps: Array<{ name: string; status: string; attempts: number; at: string; error: string | null }>;
  } | null;
  cancellation: {
    id: string;
    kind: string;
    state: string;
    reason: string | null;
    steps: Array<{ name: string; status: string; attempts: number; error: string | null }>;
  } | null;
}

export const CHECKOUT = `mutation($input: CheckoutInput!, $key: String!) { checkout(input: $input, idempotencyKey: $key) { ${ORDER_FIELDS} } }`;
export const ORDER = `query($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`;

type Card = (typeof CARDS)[keyof typeof CARDS] | { number: string; expMonth: number; expYear: number; cvc: string };

/** Puts lines in a user's cart straight into the database (the cart's own API is tested in cart.test.ts). */
export async function fillCart(
  h: OrdersHarness,
  userId: string,
  lines: Array<{ productId: string; quantity: number }>,
): Promise<void> {
  const base = Date.now() - 60_000;
  await h.db.cartItem.createMany({ data: lines.map((line, i) => ({ userId, ...line, addedAt: new Date(base + i) })) });
}

export async function checkout(h: OrdersHarness, userId: string, key: string, card: Card, url?: string) {
  return h.gql(userId, CHECKOUT, { input: { paymentMethod: card }, key }, url);
}

/** The order once `done` holds for it (by default: no longer PENDING and its sagas terminal). */
export async function settledOrder(
  h: OrdersHarness,
  userId: string,
  id: string,
  done?: (order: OrderAnswer) => boolean,
): Promise<OrderAnswer> {
  const terminal = (state: string | undefined) =>
    state === undefined || state === 'SUCCEEDED' || state === 'COMPENSATED';
  const check =
    done ?? ((o: OrderAnswer) => o.status !== 'PENDING' && terminal(o.saga?.state) && terminal(o.cancellation?.state));
  return eventually(
    async () => {
      const { body } = await h.gql(userId, ORDER, { id });
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      const order = (body.data as { order: OrderAnswer }).order;
      return check(order) ? order : undefined;
    },
    `order ${id} to settle`,
    { explain: () => describeStream(h, id) },
  );
}

export function orderOf(
  body: { data?: Record<string, unknown> | null; errors?: unknown },
  field = 'checkout',
): OrderAnswer {
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return (body.data as Record<string, OrderAnswer>)[field]!;
}
