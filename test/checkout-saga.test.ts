// The checkout saga end to end through gateway-web, over the real users, products, inventory,
// orders, payments and reviews subgraphs on the test Postgres, their workers relaying events over
// the real Redis: a paid checkout (pending with stock reserved while the charge is slow, then
// confirmed, captured, committed, on the dashboard, and its order.confirmed reaching products and
// reviews); a declined card (failed, released, declined); inventory down past the deadline
// (compensated once it is back, the reason on the saga).
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../lib/gateway/index.ts';
import { silentLogger } from '../lib/observability/index.ts';
import type { ServicePrisma, StartedSubgraph } from '../lib/subgraph/index.ts';
import { SUBGRAPH_SERVICES } from '../subgraphs/index.ts';
import { asUser, TEST_SIGNING_SECRET } from './support/auth.ts';
import { CARDS, checkoutAt, CheckoutFixtures, waitUntil } from './support/checkoutFixtures.ts';
import { databaseEnv, uniquePrefix } from './support/databases.ts';
import { postGraphQL, startTestGateway, type GraphQLResponse } from './support/gateway.ts';
import { freePorts } from './support/ports.ts';
import { deleteKeys, TEST_REDIS_URL, uniqueKeyPrefix } from './support/redis.ts';
import { SagaLedger } from './support/sagaLedger.ts';
import { startSubgraphs, type SubgraphFleet } from './support/subgraphs.ts';

const prefix = uniquePrefix('cksaga');
const keyPrefix = uniqueKeyPrefix('cksaga');
const eventsEnv = { EVENTS_CLAIM_IDLE_MS: '200', EVENTS_BLOCK_MS: '100', EVENTS_RELAY_POLL_MS: '20' };
const logger = silentLogger();

let fleet: SubgraphFleet;
let gateway: RunningGateway;
let fixtures: CheckoutFixtures;
let ledger: SagaLedger;
let redis: Redis;

beforeAll(async () => {
  fleet = await startSubgraphs(prefix, {
    workers: true,
    // A slow processor leaves the order pending with its stock reserved long enough to be seen.
    env: {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: keyPrefix,
      ...eventsEnv,
      PAYMENTS_PROCESSOR_LATENCY_MS: '1500',
      CHECKOUT_RETRY_BASE_MS: '20',
      CHECKOUT_RETRY_MAX_MS: '200',
    },
  });
  gateway = await startTestGateway(fleet.urls);
  fixtures = await CheckoutFixtures.open(prefix);
  ledger = new SagaLedger(prefix);
  redis = new Redis(TEST_REDIS_URL);
}, 120_000);

afterAll(async () => {
  await gateway?.close();
  await ledger?.close();
  await fixtures?.close();
  await fleet?.close();
  if (redis) {
    await deleteKeys(redis, keyPrefix);
    redis.disconnect();
  }
});

async function web(
  userId: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const response: GraphQLResponse = await postGraphQL(gateway.url, query, variables, await asUser(userId));
  if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
  return response.body.data!;
}

const ADD_TO_CART = 'mutation($p: ID!, $q: Int!) { addToCart(productId: $p, quantity: $q) { itemCount } }';
const CHECKOUT =
  'mutation($input: CheckoutInput!, $key: String!) { checkout(input: $input, idempotencyKey: $key) { id status } }';
const STATE = `query($order: ID!, $product: ID!) {
  order(id: $order) { status statusReason payment { status } saga { state reason } }
  product(id: $product) { stock { available reserved } }
}`;

interface State {
  order: {
    status: string;
    statusReason: string | null;
    payment: { status: string } | null;
    saga: { state: string; reason: string | null };
  };
  product: { stock: { available: number; reserved: number } };
}

async function stateOf(userId: string, order: string, product: string): Promise<State> {
  return (await web(userId, STATE, { order, product })) as unknown as State;
}

async function checkoutThroughGateway(
  userId: string,
  product: string,
  quantity: number,
  card: (typeof CARDS)[keyof typeof CARDS],
) {
  expect(await web(userId, ADD_TO_CART, { p: product, q: quantity })).toEqual({ addToCart: { itemCount: quantity } });
  const { checkout } = (await web(userId, CHECKOUT, { input: { paymentMethod: card }, key: `proof-${userId}` })) as {
    checkout: { id: string; status: string };
  };
  expect(checkout.status).toBe('PENDING');
  return checkout.id;
}

describe('checkout through gateway-web over the real services', () => {
  it('confirms a paid checkout: reserved while pending, then captured, committed, on the dashboard, and its event reaches products and reviews', async () => {
    const buyer = await fixtures.createUser();
    const product = await fixtures.createProduct(5, 1999);
    const orderId = await checkoutThroughGateway(buyer, product, 2, CARDS.visa);

    // The charge is slow: the order is seen pending with its two units reserved.
    const pending = await waitUntil(async () => {
      const s = await stateOf(buyer, orderId, product);
      return s.product.stock.reserved === 2 ? s : undefined;
    }, 'the stock to be reserved');
    expect(pending.order.status).toBe('PENDING');
    expect(pending.product.stock.available).toBe(3);

    const done = await waitUntil(async () => {
      const s = await stateOf(buyer, orderId, product);
      return s.order.status !== 'PENDING' && s.order.saga.state !== 'RUNNING' ? s : undefined;
    }, 'the order to settle');
    expect(done.order).toMatchObject({
      status: 'CONFIRMED',
      statusReason: null,
      payment: { status: 'CAPTURED' },
      saga: { state: 'SUCCEEDED' },
    });
    await waitUntil(
      async () => (await stateOf(buyer, orderId, product)).product.stock.reserved === 0 || undefined,
      'the stock to be committed',
    );
    expect((await stateOf(buyer, orderId, product)).product.stock).toEqual({ available: 3, reserved: 0 });
    expect(await ledger.stock(product)).toEqual({ onHand: 3, reserved: 0 });

    const dashboard = (await web(
      buyer,
      'query { dashboard { user { id orders(first: 10) { edges { node { id status } } } } } }',
    )) as {
      dashboard: { user: { id: string; orders: { edges: Array<{ node: { id: string; status: string } }> } } };
    };
    expect(dashboard.dashboard.user.id).toBe(buyer);
    expect(dashboard.dashboard.user.orders.edges.map((e) => e.node)).toEqual([{ id: orderId, status: 'CONFIRMED' }]);

    // order.confirmed, relayed over Redis Streams: products counts the sale, reviews the purchase.
    await waitUntil(
      async () =>
        (await fixtures.products.productSales.findUnique({ where: { productId: product } }))?.unitsSold === 2 ||
        undefined,
      'products to count the sale',
    );
    const reviews = fleet.servers.reviews.prisma;
    await waitUntil(
      async () =>
        (
          await reviews.$queryRawUnsafe<Array<{ n: number }>>(
            'SELECT count(*)::int AS n FROM "Purchase" WHERE "userId" = $1::uuid AND "productId" = $2::uuid',
            buyer,
            product,
          )
        )[0]?.n === 1 || undefined,
      'reviews to record the purchase',
    );
    const review = (await web(
      buyer,
      'mutation($p: ID!) { addReview(productId: $p, rating: 5, body: "Arrived as promised") { verifiedPurchase } }',
      { p: product },
    )) as {
      addReview: { verifiedPurchase: boolean };
    };
    expect(review.addReview.verifiedPurchase).toBe(true);
  }, 120_000);

  it('fails a declined card: stock released, payment declined, the reason on the order', async () => {
    const buyer = await fixtures.createUser();
    const product = await fixtures.createProduct(5, 1999);
    const orderId = await checkoutThroughGateway(buyer, product, 1, CARDS.declined);
    const done = await waitUntil(async () => {
      const s = await stateOf(buyer, orderId, product);
      return s.order.saga.state === 'COMPENSATED' ? s : undefined;
    }, 'the order to fail');
    expect(done.order).toMatchObject({ status: 'FAILED', payment: { status: 'DECLINED' } });
    expect(done.order.statusReason).toMatch(/payment declined/);
    expect(done.product.stock).toEqual({ available: 5, reserved: 0 });
    expect(await ledger.stock(product)).toEqual({ onHand: 5, reserved: 0 });
    const [hold] = await ledger.query<{ status: string }>(
      'inventory',
      'SELECT status::text FROM "StockHold" WHERE "sagaId" = $1',
      [orderId],
    );
    expect(hold?.status).toBe('RELEASED');
  }, 120_000);

  it('compensates a checkout whose inventory is down past the deadline, once inventory is back', async () => {
    // An inventory and an orders of this test's own, on the fleet's databases: the inventory can be
    // stopped without touching the other tests, and this orders has a short deadline.
    const [port] = await freePorts(1);
    const env = { ...databaseEnv(prefix), GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET };
    const startInventory = () =>
      SUBGRAPH_SERVICES.inventory.start({ env, port: port!, logger, seedScale: 0, workers: false });
    let inventory: StartedSubgraph<ServicePrisma> | null = await startInventory();
    const orders = await SUBGRAPH_SERVICES.orders.start({
      env: {
        ...env,
        INVENTORY_URL: inventory.url,
        PAYMENTS_URL: fleet.urls.payments,
        PRODUCTS_URL: fleet.urls.products,
        CHECKOUT_SAGA_DEADLINE_MS: '1500',
        CHECKOUT_RETRY_BASE_MS: '20',
        CHECKOUT_RETRY_MAX_MS: '200',
        INVENTORY_POLICY: JSON.stringify({
          timeoutMs: 500,
          health: { intervalMs: 200 },
          breaker: { resetTimeoutMs: 200 },
        }),
      },
      port: 0,
      logger,
      seedScale: 0,
      workers: false,
    });
    try {
      const buyer = await fixtures.createUser();
      const product = await fixtures.createProduct(5, 1999);
      await fixtures.fillCarts([buyer], product);
      await inventory.close();
      inventory = null;
      const { body } = await checkoutAt(orders.url, buyer);
      const orderId = (body.data as { checkout: { id: string } }).checkout.id;
      // Past the deadline it turns back; the release waits for inventory (compensations never give up).
      await waitUntil(async () => {
        const [saga] = await ledger.query<{ state: string }>('orders', 'SELECT state::text FROM "Saga" WHERE id = $1', [
          orderId,
        ]);
        return saga?.state === 'COMPENSATING' || undefined;
      }, 'the saga to turn back');
      inventory = await startInventory();
      const done = await waitUntil(async () => {
        const s = await stateOf(buyer, orderId, product);
        // Order and saga rows are read by two statements: wait for a read after both settled.
        return s.order.saga.state === 'COMPENSATED' && s.order.status !== 'PENDING' ? s : undefined;
      }, 'the saga to be compensated');
      expect(done.order.status).toBe('FAILED');
      expect(done.order.saga.reason).toMatch(
        /^checkout deadline passed: The inventory service is temporarily unavailable/,
      );
      expect(done.order.statusReason).toBe(done.order.saga.reason);
      expect(done.order.payment).toBeNull();
      expect(await ledger.stock(product)).toEqual({ onHand: 5, reserved: 0 });
    } finally {
      await orders.close();
      await inventory?.close();
    }
  }, 120_000);
});
