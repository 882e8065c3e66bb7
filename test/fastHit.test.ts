// The response cache's fast path (lib/gateway/fastHit.ts) against real subgraphs and the test Redis,
// under a key prefix of this file's own: a known query is answered from the cache without entering
// Apollo's pipeline (counted, not timed), spends its budget exactly, keeps private entries to their
// user, keys by variables and operation name, stops at an invalidation, refuses bad tokens as the
// ordinary path does, and answers with the ordinary path's headers. A second gateway on the same
// Redis and prefix, with the fast path off, gives the ordinary path's answer to compare with.
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CacheConfig } from '../lib/cache/index.ts';
import { newStamp, type CacheEntry } from '../lib/cache/entry.ts';
import { createEvent, createEventTransport } from '../lib/events/index.ts';
import { operationsDir, type RunningGateway } from '../lib/gateway/index.ts';
import { silentLogger } from '../lib/observability/index.ts';
import type { RateLimitConfig } from '../lib/ratelimit/index.ts';
import { createRedisConnection, type RedisConfig } from '../lib/redis/index.ts';
import { demoData, DEMO_USER_ID, HEAVY_BUYER_ID } from '../lib/seed/index.ts';
import { asUser } from './support/auth.ts';
import { waitFor } from './support/failures.ts';
import { startTestGateway } from './support/gateway.ts';
import { deleteKeys, TEST_EVENTS, TEST_REDIS_URL, uniqueKeyPrefix } from './support/redis.ts';
import { startSeededSubgraphs } from './support/seededStack.ts';
import type { SubgraphFleet } from './support/subgraphs.ts';

const data = demoData();
const CATALOG = readFileSync(join(operationsDir('web'), 'Catalog.graphql'), 'utf8');
const KEY_PREFIX = uniqueKeyPrefix('fasthit');
const BUDGET = 200;
// Far above a loaded machine's Redis latency: a timeout would (by design) take the ordinary path.
const REDIS: RedisConfig = { kind: 'single', url: TEST_REDIS_URL, keyPrefix: KEY_PREFIX, commandTimeoutMs: 10_000 };
const CACHE: CacheConfig = {
  enabled: true,
  responses: true,
  redis: REDIS,
  staleIfErrorSeconds: 300,
  maxTtlSeconds: 3600,
  apqTtlSeconds: 600,
  clockSkewMs: 0,
  events: TEST_EVENTS,
  fastPathCopyBytes: 32 * 1024 * 1024,
};
const RATE_LIMIT: RateLimitConfig = {
  budgets: { query: { points: BUDGET, windowSeconds: 300 }, mutation: { points: 10, windowSeconds: 300 } },
  replicas: 1,
  redis: REDIS,
};

let fleet: SubgraphFleet;
let admin: Redis;
/** The fast path on. */
let fast: RunningGateway;
/** The fast path off, on the same entries and budgets: the ordinary path's answers. */
let ordinary: RunningGateway;

beforeAll(async () => {
  fleet = await startSeededSubgraphs();
  admin = new Redis(TEST_REDIS_URL);
  [fast, ordinary] = await Promise.all([
    startTestGateway(fleet.urls, { cache: CACHE, rateLimit: RATE_LIMIT }),
    startTestGateway(fleet.urls, { cache: CACHE, rateLimit: RATE_LIMIT, responseCacheFastPath: false }),
  ]);
});

afterAll(async () => {
  await fast?.close();
  await ordinary?.close();
  await fleet?.close();
  if (admin) {
    await deleteKeys(admin, KEY_PREFIX);
    admin.disconnect();
  }
});

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
    extensions?: { rateLimit?: { cost: number; remaining: number; limit: number; resetAt: string } };
  };
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) as Reply['body'] };
}

/** Each test's own signed-in caller: budgets are per user, so one test's spending never refuses another's requests. */
let caller: Record<string, string> = {};
beforeEach(async () => {
  caller = await asUser(randomUUID());
});

const catalog = (first: number, headers: Record<string, string> = {}, url = fast.url) =>
  post(url, { query: CATALOG, variables: { first } }, { ...caller, ...headers });
/**
 * What the fast path answered, and what it left to the ordinary path: Apollo's pipeline, or the
 * known-query path (lib/gateway/knownOperations.ts), which answers a document the pipeline has run.
 */
const stats = () => {
  const s = fast.fastHitStats();
  if (!s) throw new Error('the fast path is off');
  return { answered: s.answered, ordinary: s.pipelineRuns + (fast.knownOperationStats()?.answered ?? 0) };
};
/** Everything the fast path counts, its held copies' answers included. */
const fastStats = () => {
  const s = fast.fastHitStats();
  if (!s) throw new Error('the fast path is off');
  return s;
};
type CatalogEntry = CacheEntry & { data: { products?: { edges: Array<{ node: { name: string } }> } } };

/** The key of the one public catalog entry of `first` products (each test asks for a size of its own). */
async function catalogEntryKey(first: number): Promise<string> {
  const found: string[] = [];
  for (const key of await admin.keys(`${KEY_PREFIX}{rc:*}:v2:pub`)) {
    const entry = JSON.parse((await admin.get(key)) ?? 'null') as CatalogEntry | null;
    if (entry?.data.products?.edges.length === first) found.push(key);
  }
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** A user of nobody else's: a budget of the test's own. */
const freshUser = () => asUser(randomUUID());

describe('response cache fast path', () => {
  it('answers a known query from the cache without entering the pipeline (no parse, validation, analysis or plan)', async () => {
    const first = await catalog(3);
    expect(first.body.errors).toBeUndefined();
    const before = stats();
    const second = await catalog(3);
    expect(second.headers.get('x-cache')).toBe('hit');
    expect(second.body.data).toEqual(first.body.data);
    expect(stats()).toEqual({ answered: before.answered + 1, ordinary: before.ordinary });
    // The ordinary path's gateway never answers before its pipeline.
    expect(ordinary.fastHitStats()).toBeNull();
  });

  it('answers with the headers and bytes of the ordinary path, for each accepted content type', async () => {
    await catalog(5);
    for (const accept of [undefined, 'application/graphql-response+json, application/json', 'application/json']) {
      const headers: Record<string, string> = accept ? { accept } : {};
      // Once through the ordinary path, which tells the fast path what Apollo negotiates for this `accept`.
      await catalog(5, headers);
      const user = await freshUser();
      const before = stats().answered;
      const viaFast = await catalog(5, { ...headers, ...user });
      expect(stats().answered).toBe(before + 1);
      const viaOrdinary = await catalog(5, { ...headers, ...user }, ordinary.url);
      expect(viaOrdinary.headers.get('x-cache')).toBe('hit');
      expect(viaFast.status).toBe(viaOrdinary.status);
      const shown = (r: Reply) =>
        [...r.headers].filter(([name]) => !['date', 'x-request-id', 'content-length'].includes(name));
      const cacheControl = (r: Reply) => r.headers.get('cache-control')?.replace(/max-age=\d+/, 'max-age=N');
      expect(shown(viaFast).map(([n]) => n)).toEqual(shown(viaOrdinary).map(([n]) => n));
      expect(cacheControl(viaFast)).toMatch(/^max-age=N, public$/);
      expect(cacheControl(viaFast)).toBe(cacheControl(viaOrdinary));
      for (const name of ['content-type', 'x-cache', 'vary'])
        expect(viaFast.headers.get(name), name).toBe(viaOrdinary.headers.get(name));
      // Byte for byte, once the budget's figures (one spend apart) are set aside.
      const budget = (r: Reply) => r.text.replace(/"remaining":\d+/, '"remaining":R').replace(/"resetAt":"[^"]+"/, '');
      expect(budget(viaFast)).toBe(budget(viaOrdinary));
      expect(viaFast.body.extensions?.rateLimit?.remaining).toBe(
        (viaOrdinary.body.extensions?.rateLimit?.remaining ?? 0) + (viaFast.body.extensions?.rateLimit?.cost ?? 0),
      );
    }
  });

  it('never answers an `accept` the ordinary path refuses (406), however often it is sent', async () => {
    await catalog(6);
    expect((await catalog(6)).headers.get('x-cache')).toBe('hit');
    const before = stats().answered;
    for (let i = 0; i < 3; i++) {
      const refused = await catalog(6, { accept: 'text/html' });
      expect(refused.status).toBe(406);
    }
    expect(stats().answered).toBe(before);
  });

  it('spends the budget exactly: concurrent hits against a budget admit exactly what it holds', async () => {
    await catalog(2);
    const cost = (await catalog(2)).body.extensions?.rateLimit?.cost ?? 0;
    expect(cost).toBeGreaterThan(0);
    const user = await freshUser();
    const admitted = Math.floor(BUDGET / cost);
    const before = stats();
    const replies = await Promise.all(Array.from({ length: admitted + 8 }, () => catalog(2, user)));
    const ok = replies.filter((r) => r.status === 200 && !r.body.errors);
    const refused = replies.filter((r) => r.body.errors?.[0]?.extensions?.code === 'RATE_LIMITED');
    expect(ok).toHaveLength(admitted);
    expect(refused).toHaveLength(8);
    // Every admitted one from the fast path; the refused ones were refused by the ordinary path, having spent nothing.
    expect(stats().answered - before.answered).toBe(admitted);
    const remaining = ok.map((r) => r.body.extensions?.rateLimit?.remaining).sort((a, b) => (a ?? 0) - (b ?? 0));
    expect(remaining).toEqual(Array.from({ length: admitted }, (_, i) => BUDGET - cost * (admitted - i)));
  });

  it("keeps private entries to their user: never another user's, never an anonymous caller's", async () => {
    const ME = '{ me { id name email } }';
    const [ada, heavy] = await Promise.all([asUser(DEMO_USER_ID), asUser(HEAVY_BUYER_ID)]);
    await post(fast.url, { query: ME }, ada);
    const before = stats().answered;
    const again = await post(fast.url, { query: ME }, ada);
    expect(again.headers.get('cache-control')).toMatch(/^max-age=\d+, private$/);
    expect(stats().answered).toBe(before + 1);
    const other = await post(fast.url, { query: ME }, heavy);
    expect(other.body.data?.me).toMatchObject({ id: HEAVY_BUYER_ID });
    expect(other.text).not.toContain(data.users[0]!.email);
    const anonymous = await post(fast.url, { query: ME });
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(anonymous.text).not.toContain(data.users[0]!.email);
    expect(stats().answered).toBe(before + 1);
  });

  it('keys by variables and by operation name', async () => {
    await catalog(6);
    const before = stats();
    expect((await catalog(6)).headers.get('x-cache')).toBe('hit');
    const other = await catalog(7);
    expect((other.body.data?.products as { edges: unknown[] }).edges).toHaveLength(7);
    expect(stats()).toEqual({ answered: before.answered + 1, ordinary: before.ordinary + 1 });

    const TWO = 'query A { categories { slug } } query B { categories { name } }';
    await post(fast.url, { query: TWO, operationName: 'A' }, caller);
    const a = await post(fast.url, { query: TWO, operationName: 'A' }, caller);
    const afterA = stats();
    expect(afterA.answered).toBe(before.answered + 2);
    const b = await post(fast.url, { query: TWO, operationName: 'B' }, caller);
    expect(stats()).toEqual({ answered: afterA.answered, ordinary: afterA.ordinary + 1 });
    expect(JSON.stringify(b.body.data)).not.toBe(JSON.stringify(a.body.data));
  });

  it('stops answering an entry once an event invalidates what it holds', async () => {
    const page = await catalog(4);
    const edges = (page.body.data?.products as { edges: Array<{ node: { id: string } }> }).edges;
    const before = stats();
    expect((await catalog(4)).headers.get('x-cache')).toBe('hit');
    expect(stats().answered).toBe(before.answered + 1);
    const connection = createRedisConnection(REDIS, silentLogger());
    try {
      expect(await connection.waitUntilReady(5000)).toBe(true);
      const handled = () =>
        (fast.cacheStats()?.invalidation.events ?? 0) + (ordinary.cacheStats()?.invalidation.events ?? 0);
      const handledBefore = handled();
      await createEventTransport({ redis: connection, config: TEST_EVENTS, logger: silentLogger() }).publish([
        createEvent(
          'stock.changed',
          { productId: edges[0]!.node.id, available: 1, reserved: 0, delta: 0, reason: 'restocked' },
          { source: 'inventory' },
        ),
      ]);
      await waitFor('the event to be handled', () => handled() > handledBefore, 20_000);
    } finally {
      await connection.close();
    }
    const runs = stats().ordinary;
    const after = await catalog(4);
    expect(after.body.errors).toBeUndefined();
    expect(stats()).toEqual({ answered: before.answered + 1, ordinary: runs + 1 });
  });

  it('refuses an expired, a badly signed or a malformed token on a hit exactly as the ordinary path does', async () => {
    await catalog(8);
    await catalog(8);
    const user = randomUUID();
    const tokens = [
      await asUser(user, { issuedAt: Math.floor(Date.now() / 1000) - 7200, expiresInSeconds: 60 }),
      await asUser(user, { secret: 'not-the-gateway-secret-0123456789abcdef' }),
      { authorization: 'Basic abc' },
    ];
    for (const headers of tokens) {
      const before = stats().answered;
      const [viaFast, viaOrdinary] = [await catalog(8, headers), await catalog(8, headers, ordinary.url)];
      expect(viaFast.status).toBe(401);
      expect(viaFast.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(viaFast.text).toBe(viaOrdinary.text);
      expect(viaFast.headers.get('www-authenticate')).toBe(viaOrdinary.headers.get('www-authenticate'));
      expect(stats().answered).toBe(before);
    }
  });

  it('spends once when the entry it finds has gone stale: the ordinary path takes its admission over', async () => {
    await catalog(9);
    const cost = (await catalog(9)).body.extensions?.rateLimit?.cost ?? 0;
    const key = await catalogEntryKey(9);
    const entry = JSON.parse((await admin.get(key)) ?? 'null') as CatalogEntry;
    // Still in the store, no longer fresh: the window between an entry's freshUntil and its expiry.
    // Written as every write is, with a stamp of its own (the gateway holds a copy of the fresh one).
    await admin.set(key, JSON.stringify({ ...entry, freshUntil: Date.now() - 1000, stamp: newStamp() }), 'PX', 60_000);
    const user = await freshUser();
    const before = stats();
    const reply = await catalog(9, user);
    expect(reply.body.errors).toBeUndefined();
    expect(reply.body.extensions?.rateLimit?.remaining).toBe(BUDGET - cost);
    expect(stats()).toEqual({ answered: before.answered, ordinary: before.ordinary + 1 });
    // The budget as it stands: one spend of the catalog's cost, then this read's own.
    const read = await post(fast.url, { query: '{ rateLimit { remaining } }' }, user);
    const readCost = read.body.extensions?.rateLimit?.cost ?? 0;
    expect(read.body.extensions?.rateLimit?.remaining).toBe(BUDGET - cost - readCost);
  });

  it("answers an unchanged entry from the gateway's copy, and one written again or removed as Redis has it", async () => {
    await catalog(11, await freshUser());
    const first = await catalog(11, await freshUser());
    expect(first.headers.get('x-cache')).toBe('hit');
    const entryKey = await catalogEntryKey(11);
    // Held since the first hit read it: Redis now answers "unchanged" and the copy's bytes go out.
    const held = fastStats().fromHeldCopies;
    const second = await catalog(11, await freshUser());
    // Each request by a user of its own (a budget each): the same data bytes (the budgets' reset times differ).
    const dataBytes = (text: string) => text.slice(0, text.indexOf(',"extensions":'));
    expect(dataBytes(second.text)).toBe(dataBytes(first.text));
    expect(fastStats().fromHeldCopies).toBe(held + 1);

    // Written again (a new stamp, other data): the new bytes, never the copy.
    const stored = JSON.parse((await admin.get(entryKey)) ?? 'null') as CatalogEntry;
    stored.data.products!.edges[0]!.node.name = 'Written again';
    await admin.set(entryKey, JSON.stringify({ ...stored, stamp: newStamp() }), 'PX', 60_000);
    const rewritten = await catalog(11, await freshUser());
    expect(rewritten.headers.get('x-cache')).toBe('hit');
    expect(rewritten.text).toContain('"name":"Written again"');
    expect(fastStats().fromHeldCopies).toBe(held + 1);
    // ...and that write is the copy held from now on.
    expect((await catalog(11, await freshUser())).text).toContain('"name":"Written again"');
    expect(fastStats().fromHeldCopies).toBe(held + 2);

    // Removed (an invalidation, an expiry): the ordinary path, whatever copy is held.
    await admin.del(entryKey);
    const before = stats();
    const recomputed = await catalog(11, await freshUser());
    expect(recomputed.text).not.toContain('Written again');
    expect(stats()).toEqual({ answered: before.answered, ordinary: before.ordinary + 1 });
  });

  it("counts its answers in the gateway's metrics as the ordinary path counts them", async () => {
    /** One sample's value in the gateway's /metrics (0 when absent), matching every label given. */
    const sample = async (name: string, labels: Record<string, string>) => {
      const text = await (await fetch(fast.url.replace(/\/graphql$/, '/metrics'))).text();
      const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
      const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
    };
    const catalogLabels = { operation: 'Catalog', operation_type: 'query', client: 'web' };
    const read = () =>
      Promise.all([
        sample('bff_gateway_requests_total', { ...catalogLabels, outcome: 'success' }),
        sample('bff_gateway_request_duration_seconds_count', catalogLabels),
        sample('bff_gateway_rate_limit_decisions_total', { decision: 'admitted', reason: 'query' }),
      ]);
    await catalog(12);
    const [requests, timed, admitted] = await read();
    const before = stats().answered;
    for (let i = 0; i < 3; i += 1) await catalog(12, await freshUser());
    expect(stats().answered).toBe(before + 3);
    expect(await read()).toEqual([requests + 3, timed + 3, admitted + 3]);
  });

  it('answers a persisted query by id only while its registration is in the store', async () => {
    const query = `${CATALOG}\n# persisted`;
    const hash = createHash('sha256').update(query).digest('hex');
    const byId = { extensions: { persistedQuery: { version: 1, sha256Hash: hash } }, variables: { first: 2 } };
    await post(fast.url, { ...byId, query }, caller);
    await post(fast.url, byId, caller);
    const before = stats().answered;
    expect((await post(fast.url, byId, caller)).headers.get('x-cache')).toBe('hit');
    expect(stats().answered).toBe(before + 1);
    expect(await admin.del(`${KEY_PREFIX}apq:${hash}`)).toBe(1);
    const gone = await post(fast.url, byId, caller);
    expect(gone.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(stats().answered).toBe(before + 1);
  });
});
