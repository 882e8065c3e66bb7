import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendToOutbox,
  createEvent,
  createEventTransport,
  eventsConfigFromEnv,
  streamKey,
  type DomainEvent,
  type EventTransport,
} from '../lib/events/index.ts';
import { openServiceDatabase, type ServiceDatabase } from '../lib/db/index.ts';
import { silentLogger } from '../lib/observability/index.ts';
import { createRedisConnection, type RedisConnection } from '../lib/redis/index.ts';
import { DEMO_USER_ID, LIGHT_BUYER_ID } from '../lib/seed/index.ts';
import { migrationsDirOf, type ServicePrisma, type StartedSubgraph } from '../lib/subgraph/index.ts';
import { createPrisma, type OrdersPrisma } from '../subgraphs/orders/src/db.ts';
import { productsService } from '../subgraphs/products/src/service.ts';
import { gatewaySigned, postToSubgraph, TEST_SIGNING_SECRET } from './support/auth.ts';
import { databaseEnv, dropDatabasesWithPrefix, uniquePrefix } from './support/databases.ts';
import { freePorts } from './support/ports.ts';
import { SubgraphProcess } from './support/subgraphProcess.ts';

// products consumes order.confirmed published through the orders outbox: once over Redis Streams,
// once in-process, each time checked through the products subgraph's own GraphQL answers.
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = silentLogger();
const prefix = uniquePrefix('eventsflow');
const keyPrefix = `test:${prefix}`;
const eventsEnv = {
  EVENTS_CLAIM_IDLE_MS: '200',
  EVENTS_BLOCK_MS: '100',
  EVENTS_RELAY_POLL_MS: '20',
  EVENTS_MAX_DELIVERIES: '3',
};
const subgraphEnv = {
  ...databaseEnv(prefix),
  GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET,
  REDIS_KEY_PREFIX: keyPrefix,
  ...eventsEnv,
};

let ordersDb: ServiceDatabase;
let orders: OrdersPrisma;
let redis: RedisConnection;

async function waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

interface Picked {
  categoryId: string;
  slug: string;
  products: Array<{ id: string; sku: string }>;
}

/** The category the user has bought least in, and two of its products. */
async function leastBoughtCategory(db: ServicePrisma, userId: string): Promise<Picked> {
  const [category] = await db.$queryRawUnsafe<Array<{ id: string; slug: string }>>(
    `SELECT c."id", c."slug" FROM "Category" c
     LEFT JOIN "UserCategoryAffinity" a ON a."userId" = $1::uuid AND a."categoryId" = c."id"
     ORDER BY COALESCE(a."score", 0), c."slug" LIMIT 1`,
    userId,
  );
  if (!category) throw new Error('no categories');
  const products = await db.$queryRawUnsafe<Array<{ id: string; sku: string }>>(
    `SELECT "id", "sku" FROM "Product" WHERE "categoryId" = $1::uuid ORDER BY "sku" LIMIT 2`,
    category.id,
  );
  return { categoryId: category.id, slug: category.slug, products };
}

async function unitsSold(db: ServicePrisma, productIds: string[]): Promise<number[]> {
  const rows = await db.$queryRawUnsafe<Array<{ productId: string; unitsSold: number }>>(
    `SELECT "productId", "unitsSold" FROM "ProductSales" WHERE "productId" = ANY($1::uuid[])`,
    productIds,
  );
  return productIds.map((id) => rows.find((r) => r.productId === id)?.unitsSold ?? 0);
}

interface Taste {
  favourite: string | null;
  recommended: string[];
}

/** What the products subgraph answers for the user, asked as the gateway would. */
async function tasteOf(url: string, userId: string): Promise<Taste> {
  const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { favouriteCategory { slug } recommendations(first: 2) { sku } } } }`;
  const response = await postToSubgraph(
    url,
    query,
    { r: [{ __typename: 'User', id: userId }] },
    gatewaySigned({ userId, client: 'web' }),
  );
  expect(response.body.errors).toBeUndefined();
  const entities = (
    response.body.data as {
      _entities: Array<{ favouriteCategory: { slug: string } | null; recommendations: Array<{ sku: string }> }>;
    }
  )._entities;
  const user = entities[0];
  if (!user) throw new Error('no user entity');
  return { favourite: user.favouriteCategory?.slug ?? null, recommended: user.recommendations.map((p) => p.sku) };
}

function orderConfirmed(userId: string, picked: Picked, quantities: [number, number]): DomainEvent<'order.confirmed'> {
  const [first, second] = picked.products;
  if (!first || !second) throw new Error('the category has fewer than two products');
  return createEvent(
    'order.confirmed',
    {
      orderId: crypto.randomUUID(),
      userId,
      items: [
        { productId: first.id, quantity: quantities[0], unitPriceCents: 1000 },
        { productId: second.id, quantity: quantities[1], unitPriceCents: 500 },
      ],
      totalCents: quantities[0] * 1000 + quantities[1] * 500,
      currency: 'USD',
      confirmedAt: new Date().toISOString(),
    },
    { source: 'orders' },
  );
}

/** Confirms an "order" the way the orders service will: the event is written in the order's transaction. */
async function commitToOutbox(event: DomainEvent): Promise<void> {
  await orders.$transaction((tx) => appendToOutbox(tx, event));
}

beforeAll(async () => {
  ordersDb = await openServiceDatabase('orders', { env: databaseEnv(prefix), logger });
  await ordersDb.migrate(migrationsDirOf('orders'));
  orders = createPrisma(ordersDb.adapter);
  redis = createRedisConnection({ kind: 'single', url: REDIS_URL, keyPrefix, commandTimeoutMs: 2_000 }, logger);
  expect(await redis.waitUntilReady(5_000)).toBe(true);
});

afterAll(async () => {
  if (redis?.client) {
    const keys = await redis.client.keys(`${keyPrefix}*`);
    if (keys.length) await redis.client.del(...keys);
    await redis.close();
  }
  await orders?.$disconnect();
  await ordersDb?.close();
  await dropDatabasesWithPrefix(prefix);
});

describe('products consumes order.confirmed', () => {
  it("over Redis Streams: applies an event delivered twice once, and the user's recommendations follow", async () => {
    const products: StartedSubgraph<ServicePrisma> = await productsService.start({
      env: { ...subgraphEnv, REDIS_URL },
      port: 0,
      logger,
      seedScale: 1,
      workers: true,
    });
    const transport: EventTransport = createEventTransport({ redis, config: eventsConfigFromEnv(eventsEnv), logger });
    const relay = transport.relay(orders);
    try {
      const picked = await leastBoughtCategory(products.prisma, LIGHT_BUYER_ID);
      const ids = picked.products.map((p) => p.id);
      const before = {
        taste: await tasteOf(products.url, LIGHT_BUYER_ID),
        sold: await unitsSold(products.prisma, ids),
      };
      expect(before.taste.favourite).not.toBe(picked.slug);

      const event = orderConfirmed(LIGHT_BUYER_ID, picked, [500, 400]);
      await commitToOutbox(event);
      await waitFor(
        async () => (await unitsSold(products.prisma, ids))[0] !== before.sold[0],
        'products to apply the event',
      );
      // The same event again, as a relay that crashed between XADD and marking its batch would send it.
      await transport.publish([event]);
      const stream = streamKey(keyPrefix, 'order.confirmed');
      const client = redis.client;
      if (!client) throw new Error('no Redis');
      await waitFor(async () => {
        const [last] = await client.xrevrange(stream, '+', '-', 'COUNT', 1);
        const groups = (await client.xinfo('GROUPS', stream)) as unknown[][];
        const group = groups
          .map((g) =>
            Object.fromEntries(Array.from({ length: g.length / 2 }, (_, i) => [String(g[2 * i]), g[2 * i + 1]])),
          )
          .find((g) => g.name === 'products');
        return group !== undefined && group['last-delivered-id'] === last?.[0] && group.pending === 0;
      }, 'the duplicate to be delivered and acknowledged');
      expect(await client.xlen(stream)).toBe(2);

      expect(await unitsSold(products.prisma, ids)).toEqual([before.sold[0]! + 500, before.sold[1]! + 400]);
      const inbox = await products.prisma.$queryRawUnsafe<Array<{ id: string }>>(`SELECT "id" FROM "InboxEvent"`);
      expect(inbox.map((r) => r.id)).toEqual([event.id]);
      const after = await tasteOf(products.url, LIGHT_BUYER_ID);
      expect(after).toEqual({ favourite: picked.slug, recommended: picked.products.map((p) => p.sku) });
    } finally {
      await relay.stop();
      await products.close();
    }
  });

  it('without REDIS_URL: the same outbox is delivered in-process to the products consumer', async () => {
    const products = await productsService.start({
      env: { ...subgraphEnv, REDIS_URL: undefined, REDIS_CLUSTER_NODES: undefined },
      port: 0,
      logger,
      seedScale: 1,
      workers: true,
    });
    const memory = createRedisConnection({ kind: 'memory', keyPrefix }, logger);
    const transport = createEventTransport({ redis: memory, config: eventsConfigFromEnv(eventsEnv), logger });
    expect(transport.kind).toBe('in-process');
    const relay = transport.relay(orders);
    try {
      const picked = await leastBoughtCategory(products.prisma, DEMO_USER_ID);
      const ids = picked.products.map((p) => p.id);
      const sold = await unitsSold(products.prisma, ids);
      expect((await tasteOf(products.url, DEMO_USER_ID)).favourite).not.toBe(picked.slug);
      const event = orderConfirmed(DEMO_USER_ID, picked, [900, 800]);
      await commitToOutbox(event);
      await waitFor(async () => (await unitsSold(products.prisma, ids))[0] !== sold[0], 'products to apply the event');
      await transport.publish([event]);
      expect(await unitsSold(products.prisma, ids)).toEqual([sold[0]! + 900, sold[1]! + 800]);
      expect(await tasteOf(products.url, DEMO_USER_ID)).toEqual({
        favourite: picked.slug,
        recommended: picked.products.map((p) => p.sku),
      });
    } finally {
      await relay.stop();
      await products.close();
    }
  });

  it('a products process killed (SIGKILL) while consuming loses no event and applies none twice after restart', async () => {
    // The spawned process reads its settings from this file's env (SubgraphProcess copies process.env).
    const processEnv = { REDIS_URL, REDIS_KEY_PREFIX: keyPrefix, ...eventsEnv, EVENTS_CLAIM_IDLE_MS: '500' };
    const saved = Object.fromEntries(Object.keys(processEnv).map((key) => [key, process.env[key]]));
    Object.assign(process.env, processEnv);
    const prepared = await productsService.prepare({ env: subgraphEnv, logger, seedScale: 1 });
    const TOTAL = 1200;
    const [port] = await freePorts(1);
    const child = new SubgraphProcess('products', port!, prefix);
    const transport = createEventTransport({ redis, config: eventsConfigFromEnv(eventsEnv), logger });
    try {
      const db = prepared.prisma;
      const productIds = (
        await db.$queryRawUnsafe<Array<{ id: string }>>(`SELECT "id" FROM "Product" ORDER BY "id" LIMIT 20`)
      ).map((r) => r.id);
      const before = await unitsSold(db, productIds);
      const expected = [...before];
      const inboxBefore = (
        await db.$queryRawUnsafe<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM "InboxEvent"`)
      )[0]!.n;
      const events = Array.from({ length: TOTAL }, (_, i) => {
        const at = i % productIds.length;
        const quantity = 1 + (i % 3);
        expected[at]! += quantity;
        return createEvent(
          'order.confirmed',
          {
            orderId: crypto.randomUUID(),
            userId: crypto.randomUUID(),
            items: [{ productId: productIds[at]!, quantity, unitPriceCents: 100 }],
            totalCents: quantity * 100,
            currency: 'USD',
            confirmedAt: new Date().toISOString(),
          },
          { source: 'orders' },
        );
      });
      for (let i = 0; i < events.length; i += 200) {
        await orders.$transaction(async (tx) => {
          for (const event of events.slice(i, i + 200)) await appendToOutbox(tx, event);
        });
      }
      const relay = transport.relay(orders);
      const handledCount = async () =>
        (await db.$queryRawUnsafe<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM "InboxEvent"`))[0]!.n -
        inboxBefore;

      await child.start();
      await waitFor(async () => (await handledCount()) >= 200, 'the process to be consuming');
      await child.kill('SIGKILL');
      const atKill = await handledCount();
      expect(atKill).toBeLessThan(TOTAL);

      await child.start();
      await waitFor(async () => (await handledCount()) === TOTAL, 'the restarted process to handle the rest', 45_000);
      await relay.stop();
      const stream = streamKey(keyPrefix, 'order.confirmed');
      await waitFor(
        async () => (await redis.client!.xpending(stream, 'products'))[0] === 0,
        'every entry acknowledged',
      );
      expect(await unitsSold(db, productIds)).toEqual(expected);
      expect(await redis.client!.xlen(`${keyPrefix}{events}:dead-letter:products`)).toBe(0);
      console.log(
        `products killed after ${atKill} of ${TOTAL} events; the restarted process handled the other ${TOTAL - atKill}, none twice`,
      );
    } finally {
      await child.kill('SIGKILL');
      await prepared.close();
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});
