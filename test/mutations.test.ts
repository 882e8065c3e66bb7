// The first mutations, through a real gateway over the six subgraphs on the test Postgres, with
// their workers on the real Redis: updateProfile (users) and addReview (reviews), their validation
// at and past each edge, the events they publish through their outboxes, and verified purchases
// from order.confirmed events relayed from an orders outbox over Redis Streams.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServiceDatabase, type ServiceDatabase } from '../lib/db/index.ts';
import {
  appendToOutbox,
  createEvent,
  createEventTransport,
  eventsConfigFromEnv,
  handleOnce,
  streamKey,
  type DomainEvent,
  type EventTransport,
  type RunningRelay,
} from '../lib/events/index.ts';
import { MOBILE_MANIFEST_PATH, type PersistedQueryManifest, type RunningGateway } from '../lib/gateway/index.ts';
import { silentLogger } from '../lib/observability/index.ts';
import { createRedisConnection, type RedisConnection } from '../lib/redis/index.ts';
import { demoData, salesOrders } from '../lib/seed/index.ts';
import { createPrisma as createOrdersPrisma, type OrdersPrisma } from '../subgraphs/orders/src/db.ts';
import { createPrisma as createReviewsPrisma, type ReviewsPrisma } from '../subgraphs/reviews/src/db.ts';
import { reviewsEventHandlers } from '../subgraphs/reviews/src/events/handlers.ts';
import { asUser } from './support/auth.ts';
import { databaseEnv, uniquePrefix } from './support/databases.ts';
import { postGraphQL, startTestGateway, type GraphQLResponse } from './support/gateway.ts';
import { deleteKeys, TEST_REDIS_URL, uniqueKeyPrefix } from './support/redis.ts';
import { startSubgraphs, type SubgraphFleet } from './support/subgraphs.ts';

const logger = silentLogger();
const prefix = uniquePrefix('mutations');
const keyPrefix = uniqueKeyPrefix('mutations');
const eventsEnv = {
  EVENTS_CLAIM_IDLE_MS: '200',
  EVENTS_BLOCK_MS: '100',
  EVENTS_RELAY_POLL_MS: '20',
  EVENTS_MAX_DELIVERIES: '3',
};
const data = demoData(1);

let fleet: SubgraphFleet;
let gateway: RunningGateway;
let ordersDb: ServiceDatabase;
let orders: OrdersPrisma;
let reviewsDb: ServiceDatabase;
let reviews: ReviewsPrisma;
let redisConnection: RedisConnection;
let redis: Redis;
let transport: EventTransport;
let ordersRelay: RunningRelay;
/** Products reviews knows of (bought in the seeded orders), handed out so no two tests share one. */
let knownProducts: string[] = [];

const UPDATE_PROFILE = 'mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { id name avatarUrl } }';
const ADD_REVIEW =
  'mutation($productId: ID!, $rating: Int!, $body: String) { addReview(productId: $productId, rating: $rating, body: $body) { id rating body verifiedPurchase } }';
const READ_REVIEW = 'query($id: ID!) { review(id: $id) { id verifiedPurchase product { id reviewCount } } }';

beforeAll(async () => {
  fleet = await startSubgraphs(prefix, {
    workers: true,
    env: { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: keyPrefix, ...eventsEnv },
  });
  gateway = await startTestGateway(fleet.urls);
  // The orders service's own database, as the checkout saga will write its outbox.
  ordersDb = await openServiceDatabase('orders', { env: databaseEnv(prefix), logger });
  orders = createOrdersPrisma(ordersDb.adapter);
  reviewsDb = await openServiceDatabase('reviews', { env: databaseEnv(prefix), logger });
  reviews = createReviewsPrisma(reviewsDb.adapter);
  redisConnection = createRedisConnection(
    { kind: 'single', url: TEST_REDIS_URL, keyPrefix, commandTimeoutMs: 2_000 },
    logger,
  );
  expect(await redisConnection.waitUntilReady(5_000)).toBe(true);
  redis = new Redis(TEST_REDIS_URL);
  transport = createEventTransport({ redis: redisConnection, config: eventsConfigFromEnv(eventsEnv), logger });
  ordersRelay = transport.relay(orders);
  knownProducts = (
    await reviews.purchase.findMany({
      distinct: ['productId'],
      select: { productId: true },
      orderBy: { productId: 'asc' },
    })
  ).map((p) => p.productId);
}, 120_000);

afterAll(async () => {
  await ordersRelay?.stop();
  await gateway?.close();
  await fleet?.close();
  await orders?.$disconnect();
  await ordersDb?.close();
  await reviews?.$disconnect();
  await reviewsDb?.close();
  await redisConnection?.close();
  if (redis) {
    await deleteKeys(redis, keyPrefix);
    redis.disconnect();
  }
});

function takeProducts(count: number): string[] {
  const taken = knownProducts.splice(0, count);
  if (taken.length < count) throw new Error('ran out of known products');
  return taken;
}

async function waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const errorOf = (r: GraphQLResponse) => r.body.errors?.[0]?.extensions;

async function count(sql: string, ...values: unknown[]): Promise<number> {
  const rows = await fleet.servers.reviews.prisma.$queryRawUnsafe<Array<{ n: number }>>(sql, ...values);
  return rows[0]?.n ?? -1;
}

async function usersCount(sql: string, ...values: unknown[]): Promise<number> {
  const rows = await fleet.servers.users.prisma.$queryRawUnsafe<Array<{ n: number }>>(sql, ...values);
  return rows[0]?.n ?? -1;
}

/** The events of one type on its Redis stream, oldest first. */
async function streamEvents(type: string): Promise<DomainEvent[]> {
  const entries = (await redis.xrange(streamKey(keyPrefix, type), '-', '+')) as Array<[string, string[]]>;
  return entries.map(([, fields]) => JSON.parse(fields[fields.indexOf('event') + 1] ?? '{}') as DomainEvent);
}

/** True once the consumer group has read and acknowledged everything on the stream. */
async function caughtUp(type: string, group: string): Promise<boolean> {
  const stream = streamKey(keyPrefix, type);
  const [last] = await redis.xrevrange(stream, '+', '-', 'COUNT', 1);
  const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
  const info = groups
    .map((g) => Object.fromEntries(Array.from({ length: g.length / 2 }, (_, i) => [String(g[2 * i]), g[2 * i + 1]])))
    .find((g) => g.name === group);
  return info !== undefined && info['last-delivered-id'] === last?.[0] && info.pending === 0;
}

function orderConfirmed(userId: string, productIds: string[]): DomainEvent<'order.confirmed'> {
  return createEvent(
    'order.confirmed',
    {
      orderId: randomUUID(),
      userId,
      items: productIds.map((productId) => ({ productId, quantity: 1, unitPriceCents: 1000 })),
      totalCents: productIds.length * 1000,
      currency: 'USD',
      confirmedAt: new Date().toISOString(),
    },
    { source: 'orders' },
  );
}

describe('Mutation.updateProfile', () => {
  const user = data.users[10]!;
  const profileOf = async () =>
    (
      await fleet.servers.users.prisma.$queryRawUnsafe<Array<{ name: string; avatarUrl: string | null }>>(
        `SELECT "name", "avatarUrl" FROM "User" WHERE "id" = $1::uuid`,
        user.id,
      )
    )[0];
  const outboxCount = () =>
    usersCount(`SELECT count(*)::int AS n FROM "OutboxEvent" WHERE "payload"->>'userId' = $1`, user.id);

  it('is UNAUTHENTICATED without a signed-in user, and NOT_FOUND for a user who does not exist', async () => {
    const anonymous = await postGraphQL(gateway.url, UPDATE_PROFILE, { input: { name: 'Nobody' } });
    expect(errorOf(anonymous)?.code).toBe('UNAUTHENTICATED');
    expect(anonymous.body.data).toBeNull();
    const stranger = await postGraphQL(
      gateway.url,
      UPDATE_PROFILE,
      { input: { name: 'Ghost' } },
      await asUser(randomUUID()),
    );
    expect(errorOf(stranger)?.code).toBe('NOT_FOUND');
  });

  const longUrl = (length: number) =>
    `https://cdn.example.com/${'a'.repeat(length - 'https://cdn.example.com/'.length)}`;
  it.each([
    ['no field at all', {}, 'input'],
    ['an empty name', { name: '' }, 'input.name'],
    ['a name of spaces', { name: '   ' }, 'input.name'],
    ['a name of 101 characters', { name: 'é'.repeat(101) }, 'input.name'],
    ['a name with a line break', { name: 'Ada\nLovelace' }, 'input.name'],
    ['a null name', { name: null }, 'input.name'],
    ['an http URL', { avatarUrl: 'http://cdn.example.com/a.png' }, 'input.avatarUrl'],
    ['not a URL', { avatarUrl: 'picture.png' }, 'input.avatarUrl'],
    ['a URL with credentials', { avatarUrl: 'https://me:secret@cdn.example.com/a.png' }, 'input.avatarUrl'],
    ['a URL of 2,049 characters', { avatarUrl: longUrl(2049) }, 'input.avatarUrl'],
    ['a good name with a bad URL', { name: 'Fine', avatarUrl: 'ftp://cdn.example.com/a.png' }, 'input.avatarUrl'],
  ])('refuses %s with BAD_USER_INPUT naming the field, and changes nothing', async (_title, input, argumentName) => {
    const before = { profile: await profileOf(), events: await outboxCount() };
    const response = await postGraphQL(gateway.url, UPDATE_PROFILE, { input }, await asUser(user.id));
    expect(response.body.data).toBeNull();
    expect(errorOf(response)).toMatchObject({ code: 'BAD_USER_INPUT', argumentName });
    expect({ profile: await profileOf(), events: await outboxCount() }).toEqual(before);
  });

  it('accepts the edges: a trimmed name of 100 characters (emoji count as one) and a URL of 2,048', async () => {
    const headers = await asUser(user.id);
    const name = '😀'.repeat(100);
    const edge = await postGraphQL(
      gateway.url,
      UPDATE_PROFILE,
      { input: { name: `  ${name}  `, avatarUrl: longUrl(2048) } },
      headers,
    );
    expect(edge.body.errors).toBeUndefined();
    expect(edge.body.data?.updateProfile).toEqual({ id: user.id, name, avatarUrl: longUrl(2048) });
  });

  it('changes the profile and publishes user.updated naming what changed, over Redis Streams', async () => {
    const headers = await asUser(user.id);
    const changed = await postGraphQL(
      gateway.url,
      UPDATE_PROFILE,
      { input: { name: '  Grace Hopper ', avatarUrl: 'https://cdn.example.com/grace.png' } },
      headers,
    );
    expect(changed.body.data?.updateProfile).toEqual({
      id: user.id,
      name: 'Grace Hopper',
      avatarUrl: 'https://cdn.example.com/grace.png',
    });
    const me = await postGraphQL(gateway.url, '{ me { name avatarUrl } }', {}, headers);
    expect(me.body.data?.me).toEqual({ name: 'Grace Hopper', avatarUrl: 'https://cdn.example.com/grace.png' });

    // The same values again change nothing and publish nothing; removing the picture changes one field.
    const events = await outboxCount();
    const same = await postGraphQL(gateway.url, UPDATE_PROFILE, { input: { name: 'Grace Hopper' } }, headers);
    expect(same.body.data?.updateProfile).toMatchObject({ name: 'Grace Hopper' });
    expect(await outboxCount()).toBe(events);
    const removed = await postGraphQL(gateway.url, UPDATE_PROFILE, { input: { avatarUrl: null } }, headers);
    expect(removed.body.data?.updateProfile).toEqual({ id: user.id, name: 'Grace Hopper', avatarUrl: null });

    // The users relay moved each committed event to its stream; none is left unpublished.
    await waitFor(
      async () => (await usersCount(`SELECT count(*)::int AS n FROM "OutboxEvent" WHERE "publishedAt" IS NULL`)) === 0,
      'the users outbox to drain',
    );
    const published = (await streamEvents('user.updated')).filter(
      (e): e is DomainEvent<'user.updated'> => e.type === 'user.updated' && e.payload.userId === user.id,
    );
    expect(published.map((e) => e.payload.changed)).toEqual([
      ['name', 'avatarUrl'],
      ['name', 'avatarUrl'],
      ['avatarUrl'],
    ]);
    expect(published.every((e) => e.source === 'users' && e.version === 1)).toBe(true);
  });
});

describe('Mutation.addReview', () => {
  const reviewsOf = (userId: string) =>
    count(`SELECT count(*)::int AS n FROM "Review" WHERE "authorId" = $1::uuid`, userId);

  it('is UNAUTHENTICATED without a signed-in user', async () => {
    const [productId] = takeProducts(1);
    const response = await postGraphQL(gateway.url, ADD_REVIEW, { productId, rating: 5 });
    expect(errorOf(response)?.code).toBe('UNAUTHENTICATED');
    expect(
      await count(
        `SELECT count(*)::int AS n FROM "Review" WHERE "productId" = $1::uuid AND "createdAt" > now() - interval '1 hour'`,
        productId,
      ),
    ).toBe(0);
  });

  it.each([
    ['a rating of 0', { rating: 0 }, 'rating'],
    ['a rating of 6', { rating: 6 }, 'rating'],
    ['a body of 2,001 characters', { rating: 3, body: 'ü'.repeat(2001) }, 'body'],
    ['a body with a NUL character', { rating: 3, body: 'fine\u0000' }, 'body'],
    ['a malformed product id', { rating: 3, productId: 'product-1' }, 'productId'],
  ])('refuses %s with BAD_USER_INPUT naming the argument, writing nothing', async (_title, args, argumentName) => {
    const userId = randomUUID();
    const [productId] = takeProducts(1);
    const response = await postGraphQL(gateway.url, ADD_REVIEW, { productId, ...args }, await asUser(userId));
    expect(response.body.data).toBeNull();
    expect(errorOf(response)).toMatchObject({ code: 'BAD_USER_INPUT', argumentName });
    expect(await reviewsOf(userId)).toBe(0);
  });

  it('refuses a product reviews has never seen (NOT_FOUND) and a second review of one product (ALREADY_EXISTS)', async () => {
    const userId = randomUUID();
    const headers = await asUser(userId);
    const unknown = await postGraphQL(gateway.url, ADD_REVIEW, { productId: randomUUID(), rating: 4 }, headers);
    expect(errorOf(unknown)).toMatchObject({ code: 'NOT_FOUND', argumentName: 'productId' });
    const [productId] = takeProducts(1);
    const first = await postGraphQL(gateway.url, ADD_REVIEW, { productId, rating: 4, body: 'é'.repeat(2000) }, headers);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data?.addReview).toMatchObject({ rating: 4, body: 'é'.repeat(2000), verifiedPurchase: false });
    const again = await postGraphQL(gateway.url, ADD_REVIEW, { productId, rating: 1 }, headers);
    expect(errorOf(again)).toMatchObject({ code: 'ALREADY_EXISTS', argumentName: 'productId' });
    expect(await reviewsOf(userId)).toBe(1);
  });

  it("runs as the mobile app's registered AddReview operation, sent by its id", async () => {
    const manifest = JSON.parse(readFileSync(MOBILE_MANIFEST_PATH, 'utf8')) as PersistedQueryManifest;
    const id = manifest.operations.find((o) => o.name === 'AddReview')?.id;
    const mobile = await startTestGateway(fleet.urls, { name: 'mobile' });
    try {
      const [productId] = takeProducts(1);
      const response = await fetch(mobile.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(await asUser(randomUUID())) },
        body: JSON.stringify({
          variables: { productId, rating: 5 },
          extensions: { persistedQuery: { version: 1, sha256Hash: id } },
        }),
      });
      const body = (await response.json()) as GraphQLResponse['body'];
      expect(body.errors).toBeUndefined();
      expect(body.data?.addReview).toMatchObject({
        rating: 5,
        verifiedPurchase: false,
        product: { id: productId, reviewCount: expect.any(Number) as unknown },
      });
    } finally {
      await mobile.close();
    }
  });

  it('writes the review and review.created together; a rating without text has an empty body', async () => {
    const userId = randomUUID();
    const [productId] = takeProducts(1);
    const response = await postGraphQL(gateway.url, ADD_REVIEW, { productId, rating: 2 }, await asUser(userId));
    const review = response.body.data?.addReview as { id: string; body: string };
    expect(review).toMatchObject({ rating: 2, body: '', verifiedPurchase: false });
    const read = await postGraphQL(gateway.url, READ_REVIEW, { id: review.id });
    expect(read.body.data?.review).toMatchObject({ id: review.id, product: { id: productId } });
    await waitFor(
      async () =>
        (await streamEvents('review.created')).some(
          (e) => e.type === 'review.created' && e.payload.reviewId === review.id,
        ),
      'review.created on its stream',
    );
    const [event] = (await streamEvents('review.created')).filter(
      (e) => e.type === 'review.created' && e.payload.reviewId === review.id,
    );
    expect(event?.payload).toEqual({ reviewId: review.id, productId, userId, rating: 2 });
  });
});

describe('Review.verifiedPurchase from order.confirmed', () => {
  it('is consistent with the seeded orders', async () => {
    const bought = new Set(salesOrders(data).flatMap((o) => o.items.map((i) => `${o.userId}:${i.productId}`)));
    const expected = data.reviews
      .filter((r) => bought.has(`${r.authorId}:${r.productId}`))
      .map((r) => r.id)
      .sort();
    const verified = (
      await reviews.review.findMany({
        where: { verifiedPurchase: true, id: { in: data.reviews.map((r) => r.id) } },
        select: { id: true },
      })
    )
      .map((r) => r.id)
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(verified).toEqual(expected);
  });

  it('marks an existing review verified once its order is confirmed, and a later review at once; a duplicate event is handled once', async () => {
    const userId = randomUUID();
    const headers = await asUser(userId);
    const [reviewedFirst, reviewedLater, neverReviewed] = takeProducts(3) as [string, string, string];
    const early = await postGraphQL(gateway.url, ADD_REVIEW, { productId: reviewedFirst, rating: 5 }, headers);
    const earlyId = (early.body.data?.addReview as { id: string }).id;
    expect(early.body.data?.addReview).toMatchObject({ verifiedPurchase: false });

    // The orders service confirms an order: the event is written in its transaction, relayed to Redis.
    const event = orderConfirmed(userId, [reviewedFirst, reviewedLater, neverReviewed]);
    await orders.$transaction((tx) => appendToOutbox(tx, event));
    const verified = async () =>
      (
        (await postGraphQL(gateway.url, READ_REVIEW, { id: earlyId })).body.data?.review as {
          verifiedPurchase: boolean;
        }
      ).verifiedPurchase;
    await waitFor(verified, 'the review to be verified, as the gateway reads it');

    const later = await postGraphQL(gateway.url, ADD_REVIEW, { productId: reviewedLater, rating: 4 }, headers);
    expect(later.body.data?.addReview).toMatchObject({ verifiedPurchase: true });

    // Delivered again (a relay that crashed between XADD and marking its batch would do this).
    await transport.publish([event]);
    await waitFor(() => caughtUp('order.confirmed', 'reviews'), 'the duplicate to be delivered and acknowledged');
    expect(await count(`SELECT count(*)::int AS n FROM "InboxEvent" WHERE "id" = $1::uuid`, event.id)).toBe(1);
    const purchases = await reviews.purchase.findMany({ where: { userId }, orderBy: { productId: 'asc' } });
    expect(purchases.map((p) => [p.productId, p.orderId])).toEqual(
      [reviewedFirst, reviewedLater, neverReviewed].sort().map((p) => [p, event.payload.orderId]),
    );
    expect(await reviews.review.count({ where: { authorId: userId } })).toBe(2);
    expect(await reviews.review.count({ where: { authorId: userId, verifiedPurchase: false } })).toBe(0);
  });

  // Without the per-(user, product) lock of purchasePairs.ts this fails often: each transaction
  // misses the other's uncommitted row.
  it("never leaves a bought product's review unverified when the review and the purchase race", async () => {
    const userId = randomUUID();
    const headers = await asUser(userId);
    const products = takeProducts(20);
    // The handler as the consumer runs it (inbox and all), at the same moment as each addReview.
    const outcomes = await Promise.all(
      products.flatMap((productId) => [
        postGraphQL(gateway.url, ADD_REVIEW, { productId, rating: 3 }, headers).then(
          (r) => r.body.errors?.[0]?.message ?? 'ok',
        ),
        handleOnce(reviews, reviewsEventHandlers, orderConfirmed(userId, [productId])),
      ]),
    );
    expect(outcomes.filter((o) => o !== 'ok' && o !== 'handled')).toEqual([]);
    const rows = await reviews.review.findMany({
      where: { authorId: userId },
      select: { productId: true, verifiedPurchase: true },
    });
    expect(rows).toHaveLength(20);
    expect(rows.filter((r) => !r.verifiedPurchase)).toEqual([]);
  });
});
