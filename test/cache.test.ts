// The gateway's caches against real subgraphs and a real redis-server of this file's own (so its
// command counts are this file's alone, and it can be stopped and restarted): private data stays
// private, entities fetched for one user serve the next, identical representations go out once,
// one MGET per entity fetch, mutations and domain events invalidate exactly, stale copies stand in
// for a failed subgraph where the schema allows it, and a Redis failure costs caching, not answers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheConfig } from '../lib/cache/index.ts';
import { createEvent, createEventTransport } from '../lib/events/index.ts';
import { operationsDir, type RunningGateway } from '../lib/gateway/index.ts';
import { silentLogger } from '../lib/observability/index.ts';
import { createRedisConnection, type RedisConnection } from '../lib/redis/index.ts';
import { demoData, DEMO_USER_ID, HEAVY_BUYER_ID, LIGHT_BUYER_ID } from '../lib/seed/index.ts';
import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/services.ts';
import { asUser } from './support/auth.ts';
import { uniquePrefix } from './support/databases.ts';
import {
  proxyTo,
  startFakeSubgraph,
  status,
  waitFor,
  type FakeBehaviour,
  type FakeSubgraph,
} from './support/failures.ts';
import { postGraphQL, startTestGateway, type GraphQLResponse } from './support/gateway.ts';
import { startRedisServer, TEST_EVENTS, type RedisServerProcess, uniqueKeyPrefix } from './support/redis.ts';
import {
  countSubgraphRequests,
  startSubgraphs,
  type SubgraphFleet,
  type SubgraphRequestCounter,
} from './support/subgraphs.ts';

const data = demoData();
const product = (i: number) => data.products[i]!.id;
const user = (i: number) => data.users[i]!.id;
const CATALOG = readFileSync(join(operationsDir('web'), 'Catalog.graphql'), 'utf8');
const DASHBOARD = readFileSync(join(operationsDir('web'), 'Dashboard.graphql'), 'utf8');
const KEY_PREFIX = uniqueKeyPrefix('cache');

let fleet: SubgraphFleet;
let redis: RedisServerProcess;
let admin: Redis;
let web: RunningGateway;
let replica: RunningGateway;
let requests: SubgraphRequestCounter;
/** inventory and reviews sit behind recording proxies: what each was sent, and a switch to make them fail. */
const proxied: Partial<
  Record<
    SubgraphName,
    {
      fake: FakeSubgraph;
      bodies: Array<{ variables?: { representations?: Array<{ id: string }> } }>;
      behaviour: FakeBehaviour;
    }
  >
> = {};

function cacheConfig(url: string, overrides: Partial<CacheConfig> = {}, keyPrefix = KEY_PREFIX): CacheConfig {
  return {
    enabled: true,
    responses: true,
    // Far above a loaded machine's Redis latency: a timeout would (by design) skip the cache and change what the tests see.
    redis: { kind: 'single', url, keyPrefix, commandTimeoutMs: 2000 },
    staleIfErrorSeconds: 300,
    maxTtlSeconds: 3600,
    apqTtlSeconds: 600,
    clockSkewMs: 100,
    events: TEST_EVENTS,
    fastPathCopyBytes: 32 * 1024 * 1024,
    ...overrides,
  };
}

async function proxy(name: SubgraphName): Promise<string> {
  const entry = {
    fake: null as unknown as FakeSubgraph,
    bodies: [] as Array<{ variables?: { representations?: Array<{ id: string }> } }>,
    behaviour: proxyTo(fleet.urls[name]),
  };
  entry.fake = await startFakeSubgraph((req, body, res) => {
    entry.bodies.push(JSON.parse(body) as (typeof entry.bodies)[number]);
    return entry.behaviour(req, body, res);
  });
  proxied[name] = entry;
  return entry.fake.url;
}

const count = (name: SubgraphName) => (proxied[name] ? proxied[name].fake.received : requests.of(name));
const counts = () => Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, count(n)])) as Record<SubgraphName, number>;

async function commandCalls(command: string): Promise<number> {
  const info = await admin.info('commandstats');
  const match = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info);
  return match ? Number(match[1]) : 0;
}

beforeAll(async () => {
  [fleet, redis] = await Promise.all([startSubgraphs(uniquePrefix('cache')), startRedisServer()]);
  admin = new Redis(redis.url, { maxRetriesPerRequest: 0 });
  admin.on('error', () => undefined);
  requests = countSubgraphRequests(fleet);
  const urls = { ...fleet.urls, inventory: await proxy('inventory'), reviews: await proxy('reviews') };
  web = await startTestGateway(urls, { cache: cacheConfig(redis.url) });
  replica = await startTestGateway(urls, { cache: cacheConfig(redis.url) });
});

afterAll(async () => {
  await web?.close();
  await replica?.close();
  await Promise.all(Object.values(proxied).map((p) => p.fake.close()));
  admin?.disconnect();
  await redis?.stop();
  await fleet?.close();
});

type Body = GraphQLResponse['body'];
const field = (body: Body, ...path: Array<string | number>): unknown =>
  path.reduce<unknown>(
    (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
    body.data,
  );

describe('response cache', () => {
  it('answers a repeated catalog query from the cache: x-cache hit, no subgraph request, same data', async () => {
    const first = await postGraphQL(web.url, CATALOG, { first: 5 });
    expect(first.body.errors).toBeUndefined();
    expect(first.headers.get('x-cache')).toBe('miss');
    expect(first.headers.get('cache-control')).toMatch(/^max-age=\d+, public$/);
    const before = counts();
    const second = await postGraphQL(web.url, CATALOG, { first: 5 });
    expect(second.headers.get('x-cache')).toBe('hit');
    expect(second.body.data).toEqual(first.body.data);
    expect(counts()).toEqual(before);
    // Other variables are another entry.
    // Other variables are another response entry; its entities were all in the first page, so
    // x-cache still says hit (every entity from cache), while products answers the new page.
    const other = await postGraphQL(web.url, CATALOG, { first: 4 });
    expect(other.headers.get('x-cache')).toBe('hit');
    expect(counts()).toEqual({ ...before, products: before.products + 1 });
  });

  it("never serves one user's private response to another, with identical operations", async () => {
    const [ada, heavy] = await Promise.all([asUser(DEMO_USER_ID), asUser(HEAVY_BUYER_ID)]);
    const ME = '{ me { id name email } }';
    const adaFirst = await postGraphQL(web.url, ME, {}, ada);
    expect(field(adaFirst.body, 'me', 'id')).toBe(DEMO_USER_ID);
    expect((await postGraphQL(web.url, ME, {}, ada)).headers.get('x-cache')).toBe('hit');
    const usersBefore = count('users');
    const heavyFirst = await postGraphQL(web.url, ME, {}, heavy);
    expect(heavyFirst.headers.get('x-cache')).toBe('miss');
    expect(field(heavyFirst.body, 'me')).toMatchObject({ id: HEAVY_BUYER_ID, email: data.users[2]!.email });
    expect(count('users')).toBe(usersBefore + 1);
    const heavyAgain = await postGraphQL(web.url, ME, {}, heavy);
    expect(heavyAgain.headers.get('x-cache')).toBe('hit');
    expect(field(heavyAgain.body, 'me', 'id')).toBe(HEAVY_BUYER_ID);
    // Anonymous: no user, so no private entry to find; the subgraph says who is missing.
    const anonymous = await postGraphQL(web.url, ME);
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    // The whole dashboard, private in every part.
    const adaDashboard = await postGraphQL(web.url, DASHBOARD, {}, ada);
    expect(adaDashboard.body.errors).toBeUndefined();
    expect(adaDashboard.headers.get('cache-control')).toMatch(/private$/);
    expect((await postGraphQL(web.url, DASHBOARD, {}, ada)).headers.get('x-cache')).toBe('hit');
    const heavyDashboard = await postGraphQL(web.url, DASHBOARD, {}, heavy);
    expect(heavyDashboard.headers.get('x-cache')).not.toBe('hit');
    expect(field(heavyDashboard.body, 'dashboard', 'user')).toMatchObject({
      id: HEAVY_BUYER_ID,
      email: data.users[2]!.email,
    });
    expect(JSON.stringify(heavyDashboard.body)).not.toContain(data.users[0]!.email);
  });

  it("keeps a private entity to its user: another reader of the same entity gets FORBIDDEN, not the owner's copy", async () => {
    const review = data.reviews.find((r) => r.authorId === DEMO_USER_ID) ?? data.reviews[0]!;
    const AUTHOR = `{ review(id: "${review.id}") { author { id name email } } }`;
    const owner = await postGraphQL(web.url, AUTHOR, {}, await asUser(review.authorId));
    expect(field(owner.body, 'review', 'author', 'email')).toEqual(expect.stringContaining('@'));
    const usersBefore = count('users');
    const other = await postGraphQL(
      web.url,
      AUTHOR,
      {},
      await asUser(LIGHT_BUYER_ID === review.authorId ? HEAVY_BUYER_ID : LIGHT_BUYER_ID),
    );
    expect(field(other.body, 'review', 'author', 'email')).toBeNull();
    expect(other.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(count('users')).toBe(usersBefore + 1);
  });
});

describe('entity cache', () => {
  it('serves the next user the entities the previous one fetched: inventory and reviews are not asked again', async () => {
    const id = product(5);
    const start = counts();
    const first = await postGraphQL(
      web.url,
      `{ first: product(id: "${id}") { name stock { inStock available } averageRating } }`,
      {},
      await asUser(user(3)),
    );
    expect(first.body.errors).toBeUndefined();
    const before = counts();
    expect([before.inventory - start.inventory, before.reviews - start.reviews]).toEqual([1, 1]);
    const next = await postGraphQL(
      web.url,
      `{ next: product(id: "${id}") { name stock { inStock available } averageRating } }`,
      {},
      await asUser(user(4)),
    );
    expect(next.headers.get('x-cache')).toBe('hit');
    expect(next.body.data?.next).toEqual(first.body.data?.first);
    expect(counts()).toEqual({ ...before, products: before.products + 1 });
    expect(web.cacheStats()?.entity.hits).toBeGreaterThanOrEqual(2);
  });

  it('sends each distinct representation of a plan once, across its parallel fetches too', async () => {
    const [a, b] = [product(10), product(11)];
    const sent = proxied.inventory!.bodies.length;
    // A selection no other test uses, so nothing of it is cached yet.
    const STOCK = 'stock { available reserved }';
    const response = await postGraphQL(
      web.url,
      `{ x: product(id: "${a}") { ${STOCK} } y: product(id: "${a}") { ${STOCK} } z: product(id: "${b}") { ${STOCK} } }`,
    );
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.x).toEqual(response.body.data?.y);
    // The planner fetches each aliased path on its own (three inventory fetches, run in parallel); `a` goes out once.
    const sentIds = proxied
      .inventory!.bodies.slice(sent)
      .flatMap((body) => body.variables?.representations?.map((r) => r.id) ?? []);
    expect(sentIds.sort()).toEqual([a, b].sort());
    expect(web.cacheStats()!.entity.deduplicated).toBeGreaterThanOrEqual(1);
  });

  it('reads every entity of a fetch in one MGET: one for the response plus one per entity fetch', async () => {
    await admin.config('RESETSTAT');
    // products, then inventory and reviews in parallel: two entity fetches.
    const response = await postGraphQL(web.url, CATALOG, { first: 7 });
    expect(response.body.errors).toBeUndefined();
    expect(await commandCalls('mget')).toBe(1 + 2);
    const answered = web.fastHitStats()?.answered ?? 0;
    expect((await postGraphQL(web.url, CATALOG, { first: 7 })).headers.get('x-cache')).toBe('hit');
    // The hit is the fast path's one script (lib/gateway/fastHit.ts), not another MGET.
    expect(web.fastHitStats()?.answered).toBe(answered + 1);
    expect(await commandCalls('mget')).toBe(1 + 2);
  });

  it('works alone with CACHE_RESPONSES=false: every request runs its plan, entities still come from the cache', async () => {
    const entitiesOnly = await startTestGateway(
      { ...fleet.urls, inventory: proxied.inventory!.fake.url, reviews: proxied.reviews!.fake.url },
      { cache: cacheConfig(redis.url, { responses: false }) },
    );
    try {
      const first = await postGraphQL(entitiesOnly.url, CATALOG, { first: 9 });
      expect(first.body.errors).toBeUndefined();
      const before = counts();
      const second = await postGraphQL(entitiesOnly.url, CATALOG, { first: 9 });
      expect(second.body.data).toEqual(first.body.data);
      // The root list is asked again (no response entry); its products' stock and ratings are not.
      expect(counts()).toEqual({ ...before, products: before.products + 1 });
      expect(second.headers.get('x-cache')).toBe('hit');
      const stats = entitiesOnly.cacheStats()!;
      expect(stats.response).toMatchObject({ hits: 0, misses: 0, writes: 0 });
      expect(stats.entity.hits).toBeGreaterThanOrEqual(2);
      expect(entitiesOnly.fastHitStats()).toBeNull();
    } finally {
      await entitiesOnly.close();
    }
  });

  it('works the same without Redis, on the in-process store', async () => {
    const local = await startTestGateway(fleet.urls, {
      cache: cacheConfig('', { redis: { kind: 'memory', keyPrefix: 'local:' } }),
    });
    try {
      const first = await postGraphQL(local.url, CATALOG, { first: 2 });
      expect(first.headers.get('x-cache')).toBe('miss');
      expect((await postGraphQL(local.url, CATALOG, { first: 2 })).headers.get('x-cache')).toBe('hit');
      // Another operation over an entity the catalog fetched: every entity from the cache.
      const listed = field(first.body, 'products', 'edges', 0, 'node', 'id');
      expect(
        (await postGraphQL(local.url, `{ p: product(id: "${String(listed)}") { stock { available } } }`)).headers.get(
          'x-cache',
        ),
      ).toBe('hit');
    } finally {
      await local.close();
    }
  });
});

describe('invalidation', () => {
  it('a mutation drops every entry of the entities it returned before it answers', async () => {
    const id = user(6);
    const headers = await asUser(id);
    const ME = '{ me { name } }';
    const PUBLIC = `{ user(id: "${id}") { name } }`;
    await postGraphQL(web.url, ME, {}, headers);
    await postGraphQL(replica.url, PUBLIC);
    expect((await postGraphQL(web.url, ME, {}, headers)).headers.get('x-cache')).toBe('hit');
    expect((await postGraphQL(replica.url, PUBLIC)).headers.get('x-cache')).toBe('hit');
    const renamed = `Renamed ${Math.random().toString(36).slice(2, 8)}`;
    const mutation = await postGraphQL(
      web.url,
      'mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { name } }',
      { input: { name: renamed } },
      headers,
    );
    expect(mutation.body).toEqual({ data: { updateProfile: { name: renamed } } });
    // Through the other replica too: the entries lived in the Redis both share.
    const me = await postGraphQL(replica.url, ME, {}, headers);
    expect(me.headers.get('x-cache')).toBe('miss');
    expect(field(me.body, 'me', 'name')).toBe(renamed);
    expect(field((await postGraphQL(web.url, PUBLIC)).body, 'user', 'name')).toBe(renamed);
    expect(web.cacheStats()?.invalidation.mutations).toBeGreaterThanOrEqual(1);
  });

  it('updateProfile needs a signed-in user and sane input, and then changes nothing', async () => {
    const id = user(7);
    const UPDATE = 'mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { name avatarUrl } }';
    const anonymous = await postGraphQL(web.url, UPDATE, { input: { name: 'Nobody' } });
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const headers = await asUser(id);
    for (const input of [{ name: '   ' }, { avatarUrl: 'javascript:alert(1)' }]) {
      const refused = await postGraphQL(web.url, UPDATE, { input }, headers);
      expect(refused.body.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        argumentName: expect.stringMatching(/^input\./) as unknown,
      });
    }
    expect(field((await postGraphQL(web.url, `{ user(id: "${id}") { name } }`)).body, 'user', 'name')).toBe(
      data.users[7]!.name,
    );
  });

  it('a domain event appended to its stream drops what it changed, for every replica', async () => {
    const id = product(20);
    const STOCK = `{ product(id: "${id}") { stock { available } } }`;
    const before = (await postGraphQL(web.url, STOCK)).body;
    expect((await postGraphQL(replica.url, STOCK)).headers.get('x-cache')).toBe('hit');
    const [row] = await fleet.servers.inventory.prisma.$queryRawUnsafe<Array<{ available: number; reserved: number }>>(
      `UPDATE "StockItem" SET "onHand" = "onHand" + 7 WHERE "productId" = $1::uuid RETURNING "onHand" - "reserved" AS available, "reserved"`,
      id,
    );
    // Still the cached value: nothing told the gateways yet.
    expect((await postGraphQL(web.url, STOCK)).body).toEqual(before);
    const connection: RedisConnection = createRedisConnection(
      { kind: 'single', url: redis.url, keyPrefix: KEY_PREFIX, commandTimeoutMs: 2000 },
      silentLogger(),
    );
    try {
      expect(await connection.waitUntilReady(5000)).toBe(true);
      const handled = () =>
        (web.cacheStats()?.invalidation.events ?? 0) + (replica.cacheStats()?.invalidation.events ?? 0);
      const handledBefore = handled();
      // What inventory's outbox relay does with a committed stock change.
      await createEventTransport({ redis: connection, config: TEST_EVENTS, logger: silentLogger() }).publish([
        createEvent(
          'stock.changed',
          { productId: id, available: row!.available, reserved: row!.reserved, delta: 7, reason: 'restocked' },
          { source: 'inventory' },
        ),
      ]);
      // One replica handles it (one consumer group per gateway); both share what it deleted.
      await waitFor('the event to be handled', () => handled() === handledBefore + 1, 20_000);
    } finally {
      await connection.close();
    }
    for (const gateway of [web, replica]) {
      const after = await postGraphQL(gateway.url, STOCK);
      expect(field(after.body, 'product', 'stock', 'available')).toBe(row!.available);
    }
  });
});

describe('stale on error', () => {
  let shortLived: RunningGateway;
  beforeAll(async () => {
    // Entries fresh for a second, stale copies kept for five minutes.
    shortLived = await startTestGateway(
      { ...fleet.urls, inventory: proxied.inventory!.fake.url, reviews: proxied.reviews!.fake.url },
      { cache: cacheConfig(redis.url, { maxTtlSeconds: 1 }, `${KEY_PREFIX}short:`) },
    );
  });
  afterAll(async () => {
    proxied.reviews!.behaviour = proxyTo(fleet.urls.reviews);
    proxied.inventory!.behaviour = proxyTo(fleet.urls.inventory);
    await shortLived?.close();
  });

  it('answers fields marked @staleIfError from the last copy when their subgraph fails, and says so', async () => {
    const id = product(30);
    const RATINGS = (alias: string) => `{ ${alias}: product(id: "${id}") { name averageRating reviewCount } }`;
    const fresh = await postGraphQL(shortLived.url, RATINGS('fresh'));
    expect(fresh.body.errors).toBeUndefined();
    await sleep(1100);
    proxied.reviews!.behaviour = status(503);
    const stale = await postGraphQL(shortLived.url, RATINGS('stale'));
    expect(stale.body.errors).toBeUndefined();
    expect(stale.body.data?.stale).toEqual(fresh.body.data?.fresh);
    expect(stale.body).toMatchObject({ extensions: { cache: { stale: true } } });
    expect(stale.headers.get('x-cache')).toBe('hit');
    expect(stale.headers.get('cache-control')).toBe('no-store');
    expect(shortLived.cacheStats()?.entity.stale).toBe(1);
    // A response with stale parts is never cached itself: the only response written is the fresh one.
    expect(shortLived.cacheStats()?.response.writes).toBe(1);
  });

  it('answers the error for fields that do not allow it', async () => {
    const id = product(31);
    const STOCK = `{ product(id: "${id}") { stock { available } } }`;
    expect((await postGraphQL(shortLived.url, STOCK)).body.errors).toBeUndefined();
    await sleep(1100);
    proxied.inventory!.behaviour = status(503);
    const failed = await postGraphQL(shortLived.url, `{ again: product(id: "${id}") { stock { available } } }`);
    expect(failed.body.errors?.[0]?.extensions?.code).toBe('DOWNSTREAM_SERVICE_ERROR');
    expect(failed.body.extensions?.cache).toBeUndefined();
  });
});

describe('when Redis fails', () => {
  it('serves uncached, counting errors, while Redis is down or stalled, and caches again when it returns without a restart', async () => {
    const QUERY = `{ product(id: "${product(40)}") { name stock { available } } }`;
    const expected = (await postGraphQL(web.url, QUERY)).body.data;
    expect((await postGraphQL(web.url, QUERY)).headers.get('x-cache')).toBe('hit');

    await redis.stop();
    const errorsBefore = web.cacheStats()!.response.errors;
    const productsBefore = count('products');
    const down = await postGraphQL(web.url, QUERY);
    expect(down.status).toBe(200);
    expect(down.body.data).toEqual(expected);
    expect(down.headers.get('x-cache')).toBe('miss');
    expect(count('products')).toBe(productsBefore + 1);
    expect(web.cacheStats()!.response.errors).toBeGreaterThan(errorsBefore);

    await redis.start();
    // ioredis reconnects on its own (at most a second apart); the first answer after it writes, the next reads.
    await waitFor(
      'the cache to serve hits again',
      async () => (await postGraphQL(web.url, QUERY)).headers.get('x-cache') === 'hit',
      30_000,
      200,
    );

    // Stalled (SIGSTOP): commands time out, the request is answered all the same.
    redis.signal('SIGSTOP');
    try {
      const stalled = await postGraphQL(web.url, `{ stalled: product(id: "${product(41)}") { name } }`);
      expect(stalled.status).toBe(200);
      expect(stalled.body.data?.stalled).toEqual({ name: data.products[41]!.name });
    } finally {
      redis.signal('SIGCONT');
    }
  });
});
