// A cancelled order undoes what its confirmation caused in the services that consume orders' events,
// over the real Redis: products takes its units out of best sellers and the buyer's category affinity,
// reviews removes the purchase and the buyer's review is no longer a verified purchase (unless
// another confirmed order of the product stands). The two events travel on separate streams, so
// either may arrive first: both orders of arrival, published straight onto the streams, end the same.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createEvent, publishToStreams, type DomainEvent } from '../lib/events/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewaySigned, postToSubgraph } from './support/auth.ts';
import { checkoutAt, CheckoutFixtures, waitUntil } from './support/checkoutFixtures.ts';
import { TEST_SERVER_URL, uniquePrefix } from './support/databases.ts';
import { deleteKeys, TEST_REDIS_URL, uniqueKeyPrefix } from './support/redis.ts';
import { SagaLedger } from './support/sagaLedger.ts';
import { startSubgraphs, type SubgraphFleet } from './support/subgraphs.ts';
import { Redis } from 'ioredis';

const prefix = uniquePrefix('ordcancel');
const keyPrefix = uniqueKeyPrefix('ordcancel');

let fleet: SubgraphFleet;
let fixtures: CheckoutFixtures;
let ledger: SagaLedger;
let reviews: pg.Pool;

beforeAll(async () => {
  fleet = await startSubgraphs(prefix, {
    workers: true,
    env: {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: keyPrefix,
      EVENTS_CLAIM_IDLE_MS: '200',
      EVENTS_BLOCK_MS: '100',
      EVENTS_RELAY_POLL_MS: '20',
      PAYMENTS_PROCESSOR_LATENCY_MS: '10',
    },
  });
  fixtures = await CheckoutFixtures.open(prefix);
  ledger = new SagaLedger(prefix);
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${prefix}reviews`;
  reviews = new pg.Pool({ connectionString: url.toString(), max: 2 });
}, 180_000);

afterAll(async () => {
  await reviews?.end();
  await ledger?.close();
  await fixtures?.close();
  await fleet?.close();
  const redis = new Redis(TEST_REDIS_URL);
  await deleteKeys(redis, keyPrefix);
  redis.disconnect();
});

const as = (userId: string) => gatewaySigned({ userId, client: 'web' });

async function confirmedOrder(userId: string, productId: string, quantity: number): Promise<string> {
  await fixtures.fillCarts([userId], productId, quantity);
  const placed = await checkoutAt(fleet.urls.orders, userId);
  const orderId = (placed.body.data!.checkout as { id: string }).id;
  await waitUntil(
    async () => (await ledger.orders([orderId]))[0]?.status === 'CONFIRMED' && (await ledger.openSagas()) === 0,
    'the order confirmed',
  );
  return orderId;
}

async function cancel(userId: string, orderId: string): Promise<void> {
  const answer = await postToSubgraph(
    fleet.urls.orders,
    'mutation($id: ID!) { cancelOrder(orderId: $id) { id } }',
    { id: orderId },
    as(userId),
  );
  expect(answer.body.errors).toBeUndefined();
  await waitUntil(async () => (await ledger.orders([orderId]))[0]?.status === 'CANCELLED', 'the order cancelled');
}

async function ranking(userId: string, productId: string) {
  const sales = await fixtures.products.productSales.findUnique({ where: { productId } });
  const product = await fixtures.products.product.findUniqueOrThrow({ where: { id: productId } });
  const affinity = await fixtures.products.userCategoryAffinity.findUnique({
    where: { userId_categoryId: { userId, categoryId: product.categoryId } },
  });
  return { unitsSold: sales?.unitsSold ?? 0, affinity: affinity?.score ?? 0 };
}

async function verified(userId: string, productId: string) {
  const { rows } = await reviews.query<{ verifiedPurchase: boolean }>(
    'SELECT "verifiedPurchase" FROM "Review" WHERE "authorId" = $1 AND "productId" = $2',
    [userId, productId],
  );
  const purchases = await reviews.query('SELECT 1 FROM "Purchase" WHERE "userId" = $1 AND "productId" = $2', [
    userId,
    productId,
  ]);
  return { verifiedPurchase: rows[0]?.verifiedPurchase, purchases: purchases.rowCount };
}

describe('order.cancelled', () => {
  it('takes the units out of best sellers and affinity, and the review is no longer a verified purchase', async () => {
    const userId = await fixtures.createUser();
    const productId = await fixtures.createProduct(20);
    const orderId = await confirmedOrder(userId, productId, 3);
    await waitUntil(
      async () => (await ranking(userId, productId)).unitsSold === 3 && (await verified(userId, productId)).purchases,
      'order.confirmed in products and reviews',
    );
    const review = await postToSubgraph(
      fleet.urls.reviews,
      'mutation($p: ID!) { addReview(productId: $p, rating: 5) { verifiedPurchase } }',
      { p: productId },
      as(userId),
    );
    expect(review.body.data?.addReview).toEqual({ verifiedPurchase: true });
    expect(await ranking(userId, productId)).toEqual({ unitsSold: 3, affinity: 3 });

    await cancel(userId, orderId);
    await waitUntil(
      async () =>
        (await ranking(userId, productId)).unitsSold === 0 &&
        (await verified(userId, productId)).verifiedPurchase === false,
      'order.cancelled in products and reviews',
    );
    expect(await ranking(userId, productId)).toEqual({ unitsSold: 0, affinity: 0 });
    expect(await verified(userId, productId)).toEqual({ verifiedPurchase: false, purchases: 0 });
  });

  it('keeps the review verified while another confirmed order of the product stands', async () => {
    const userId = await fixtures.createUser();
    const productId = await fixtures.createProduct(20);
    const kept = await confirmedOrder(userId, productId, 1);
    const cancelled = await confirmedOrder(userId, productId, 2);
    await waitUntil(async () => (await ranking(userId, productId)).unitsSold === 3, 'both orders in products');
    await waitUntil(async () => (await verified(userId, productId)).purchases === 2, 'both purchases in reviews');
    await postToSubgraph(
      fleet.urls.reviews,
      'mutation($p: ID!) { addReview(productId: $p, rating: 4) { id } }',
      { p: productId },
      as(userId),
    );
    await cancel(userId, cancelled);
    await waitUntil(async () => (await ranking(userId, productId)).unitsSold === 1, 'the cancellation in products');
    await waitUntil(async () => (await verified(userId, productId)).purchases === 1, 'the cancellation in reviews');
    expect(await verified(userId, productId)).toEqual({ verifiedPurchase: true, purchases: 1 });
    expect(await ranking(userId, productId)).toEqual({ unitsSold: 1, affinity: 1 });
    expect(kept).not.toBe(cancelled);
  });
});

describe('order.confirmed and order.cancelled in either order', () => {
  /** Both events of one order of `quantity` units of `productId`, as orders would publish them. */
  function eventsOf(userId: string, productId: string, quantity: number) {
    const orderId = randomUUID();
    const at = new Date().toISOString();
    const confirmed = createEvent(
      'order.confirmed',
      {
        orderId,
        userId,
        items: [{ productId, quantity, unitPriceCents: 1999 }],
        totalCents: 1999 * quantity,
        currency: 'USD',
        confirmedAt: at,
      },
      { source: 'orders' },
    );
    const cancelled = createEvent(
      'order.cancelled',
      { orderId, userId, reason: 'changed my mind', items: [{ productId, quantity }], cancelledAt: at },
      { source: 'orders' },
    );
    return { confirmed, cancelled };
  }

  async function publish(event: DomainEvent): Promise<void> {
    const redis = new Redis(TEST_REDIS_URL);
    try {
      await publishToStreams(redis, [event], { prefix: keyPrefix, maxLen: 1000 });
    } finally {
      redis.disconnect();
    }
  }

  /** Waits until products and reviews have both handled `event` (its inbox rows). */
  async function handled(event: DomainEvent): Promise<void> {
    await waitUntil(
      async () =>
        (await fixtures.products.inboxEvent.count({ where: { id: event.id } })) === 1 &&
        (await reviews.query('SELECT 1 FROM "InboxEvent" WHERE "id" = $1', [event.id])).rowCount === 1,
      `${event.type} handled by products and reviews`,
    );
  }

  it('counts nothing for an order whose cancel arrives before its confirm', async () => {
    const userId = await fixtures.createUser();
    const productId = await fixtures.createProduct(20);
    const { confirmed, cancelled } = eventsOf(userId, productId, 4);
    await publish(cancelled);
    await handled(cancelled);
    await publish(confirmed);
    await handled(confirmed);
    expect(await ranking(userId, productId)).toEqual({ unitsSold: 0, affinity: 0 });
    expect(await verified(userId, productId)).toEqual({ verifiedPurchase: undefined, purchases: 0 });
  });

  it('takes back an order whose confirm arrived first, and leaves other orders counted', async () => {
    const userId = await fixtures.createUser();
    const productId = await fixtures.createProduct(20);
    const kept = eventsOf(userId, productId, 1);
    const { confirmed, cancelled } = eventsOf(userId, productId, 4);
    await publish(kept.confirmed);
    await publish(confirmed);
    await handled(kept.confirmed);
    await handled(confirmed);
    expect(await ranking(userId, productId)).toEqual({ unitsSold: 5, affinity: 5 });
    await publish(cancelled);
    await handled(cancelled);
    expect(await ranking(userId, productId)).toEqual({ unitsSold: 1, affinity: 1 });
    expect(await verified(userId, productId)).toEqual({ verifiedPurchase: undefined, purchases: 1 });
  });
});
