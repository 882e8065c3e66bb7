// The known-query path (lib/gateway/knownOperations.ts) with the caches on, against the full pipeline:
// pairs of gateways alike but for that path (on in one, off in the other), each gateway with a Redis
// key prefix of its own for its entries and budgets, get the same requests in the same order. Every
// answer must be the same (status, headers including x-cache and cache-control, body), and so must
// what each wrote to Redis (keys, time to live, entries). Counted, not timed: the lean gateway must
// have answered the known queries without its pipeline, response-cache hits included.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheConfig } from '../lib/cache/index.ts';
import { operationsDir, type RunningGateway } from '../lib/gateway/index.ts';
import type { RateLimitConfig } from '../lib/ratelimit/index.ts';
import type { RedisConfig } from '../lib/redis/index.ts';
import { DEMO_USER_ID, HEAVY_BUYER_ID } from '../lib/seed/index.ts';
import { asUser } from './support/auth.ts';
import { proxyTo, startFakeSubgraph, status, type FakeSubgraph } from './support/failures.ts';
import { startTestGateway } from './support/gateway.ts';
import { deleteKeys, TEST_EVENTS, TEST_REDIS_URL, uniqueKeyPrefix } from './support/redis.ts';
import { startSeededSubgraphs } from './support/seededStack.ts';
import type { SubgraphFleet } from './support/subgraphs.ts';

const CATALOG = readFileSync(join(operationsDir('web'), 'Catalog.graphql'), 'utf8');
const DASHBOARD = readFileSync(join(operationsDir('web'), 'Dashboard.graphql'), 'utf8');
const ME = '{ me { id name email } }';
const KEY_PREFIX = uniqueKeyPrefix('knownops-cached');

/** One prefix per gateway for entries and budgets alike: one connection, so the fast path can run its script. */
const redis = (gateway: string): RedisConfig => ({
  kind: 'single',
  url: TEST_REDIS_URL,
  keyPrefix: `${KEY_PREFIX}${gateway}:`,
  commandTimeoutMs: 10_000,
});
const cacheConfig = (gateway: string, overrides: Partial<CacheConfig>): CacheConfig => ({
  enabled: true,
  responses: true,
  redis: redis(gateway),
  staleIfErrorSeconds: 300,
  maxTtlSeconds: 3600,
  apqTtlSeconds: 600,
  clockSkewMs: 0,
  events: TEST_EVENTS,
  fastPathCopyBytes: 32 * 1024 * 1024,
  ...overrides,
});
const rateLimit = (gateway: string): RateLimitConfig => ({
  budgets: { query: { points: 1_000_000, windowSeconds: 300 }, mutation: { points: 10, windowSeconds: 300 } },
  replicas: 1,
  redis: redis(gateway),
});

interface Pair {
  name: string;
  lean: RunningGateway;
  full: RunningGateway;
}

let fleet: SubgraphFleet;
let admin: Redis;
/** Reviews and inventory behind switchable proxies: working, or failing with 503. */
let reviews: FakeSubgraph;
let inventory: FakeSubgraph;
/** CACHE_RESPONSES=false: the entity cache alone. */
let entities: Pair;
/** The response cache, its fast path off: every hit of the lean gateway is the known path's lookup. */
let responses: Pair;
/** The response cache with its fast path in front of the known path, as gateways run by default. */
let fronted: Pair;
/** Entries fresh for a second, stale copies kept: stale answers. */
let shortLived: Pair;

async function startPair(name: string, cache: Partial<CacheConfig>, fastPath: boolean): Promise<Pair> {
  const urls = { ...fleet.urls, reviews: reviews.url, inventory: inventory.url };
  const gateway = (side: string, knownOperationsPath: boolean) =>
    startTestGateway(urls, {
      cache: cacheConfig(`${name}-${side}`, cache),
      rateLimit: rateLimit(`${name}-${side}`),
      responseCacheFastPath: fastPath,
      knownOperationsPath,
    });
  const [lean, full] = await Promise.all([gateway('lean', true), gateway('full', false)]);
  return { name, lean, full };
}

beforeAll(async () => {
  fleet = await startSeededSubgraphs();
  admin = new Redis(TEST_REDIS_URL);
  [reviews, inventory] = await Promise.all([
    startFakeSubgraph(proxyTo(fleet.urls.reviews)),
    startFakeSubgraph(proxyTo(fleet.urls.inventory)),
  ]);
  [entities, responses, fronted, shortLived] = await Promise.all([
    startPair('entities', { responses: false }, false),
    startPair('responses', {}, false),
    startPair('fronted', {}, true),
    startPair('short', { maxTtlSeconds: 1 }, false),
  ]);
});

afterAll(async () => {
  for (const pair of [entities, responses, fronted, shortLived]) {
    await pair?.lean.close();
    await pair?.full.close();
  }
  await reviews?.close();
  await inventory?.close();
  await fleet?.close();
  if (admin) {
    await deleteKeys(admin, KEY_PREFIX);
    admin.disconnect();
  }
});

interface Answer {
  status: number;
  headers: [string, string][];
  text: string;
}

async function send(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const shown = [...response.headers].filter(([name]) => !['date', 'x-request-id', 'keep-alive'].includes(name));
  // The budget's reset time depends on when each gateway's window opened, and a dashboard says when
  // each gateway generated it; everything else must match.
  return {
    status: response.status,
    headers: shown,
    text: text.replace(/"resetAt":"[^"]+"/g, '"resetAt":"T"').replace(/"generatedAt":"[^"]+"/g, '"generatedAt":"T"'),
  };
}

const header = (answer: Answer, name: string) => answer.headers.find(([n]) => n === name)?.[1];

/**
 * Equal answers, but for a `cache-control` max-age read from a cached entry: it is the whole seconds
 * left of the entry's freshness when read, and each gateway reads its own entry some milliseconds
 * after the other wrote and read its own, so the two may straddle a second.
 */
function expectSame(lean: Answer, full: Answer): void {
  const maxAge = (a: Answer) => Number(/max-age=(\d+)/.exec(header(a, 'cache-control') ?? '')?.[1] ?? -1);
  expect(Math.abs(maxAge(lean) - maxAge(full))).toBeLessThanOrEqual(1);
  const steady = (a: Answer): Answer => ({
    ...a,
    headers: a.headers.map(([n, v]) => [n, n === 'cache-control' ? v.replace(/max-age=\d+/, 'max-age=N') : v]),
  });
  expect(steady(lean)).toEqual(steady(full));
}

const known = (gateway: RunningGateway) => gateway.knownOperationStats()?.answered ?? 0;

/**
 * Sends the request to both gateways of a pair, `times` times in turn, and expects equal answers
 * each time; returns each answer and how many the lean gateway answered without its pipeline.
 */
async function same(
  pair: Pair,
  body: unknown,
  headers: Record<string, string> = {},
  times = 1,
): Promise<{ answers: Answer[]; lean: number }> {
  const before = known(pair.lean);
  const answers: Answer[] = [];
  for (let i = 0; i < times; i += 1) {
    const [lean, full] = [await send(pair.lean.url, body, headers), await send(pair.full.url, body, headers)];
    expectSame(lean, full);
    answers.push(lean);
  }
  expect(pair.full.knownOperationStats()).toBeNull();
  return { answers, lean: known(pair.lean) - before };
}

interface Stored {
  pttl: number;
  freshUntil: number;
  /**
   * The entry with its freshness set aside, its tags (a set, in the order parallel fetches answered)
   * sorted and a dashboard's generation time (each gateway's own) blanked.
   */
  entry: Record<string, unknown>;
}

/** The response (`{rc:`) and entity (`{ec:`) entries under a gateway's prefix, by key without it. */
async function storedEntries(gateway: string): Promise<Map<string, Stored>> {
  const prefix = `${KEY_PREFIX}${gateway}:`;
  const found = new Map<string, Stored>();
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}{[re]c:*`, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      const [raw, pttl] = await Promise.all([admin.get(key), admin.pttl(key)]);
      if (raw === null) continue;
      const { freshUntil, tags, stamp, ...rest } = JSON.parse(
        raw.replace(/"generatedAt":"[^"]+"/g, '"generatedAt":"T"'),
      ) as { freshUntil: number; tags: string[]; stamp?: string };
      // A response entry's stamp is its write's own (random): present on both, never equal.
      const written = stamp === undefined ? {} : { stamp: /^[\w-]{22}$/.test(stamp) ? 'a stamp' : stamp };
      found.set(key.slice(prefix.length), { pttl, freshUntil, entry: { ...rest, ...written, tags: [...tags].sort() } });
    }
  } while (cursor !== '0');
  return found;
}

/**
 * Both gateways of a pair hold the same entries: the same keys, the same contents, and times (the
 * entry's freshness, its time to live) that differ only by the moments each wrote them (the pair's
 * requests are sent one after the other, well within two seconds).
 */
async function expectSameEntries(pair: Pair): Promise<Map<string, Stored>> {
  const [lean, full] = await Promise.all([storedEntries(`${pair.name}-lean`), storedEntries(`${pair.name}-full`)]);
  expect([...lean.keys()].sort()).toEqual([...full.keys()].sort());
  for (const [key, stored] of lean) {
    const other = full.get(key) as Stored;
    expect(stored.entry, key).toEqual(other.entry);
    expect(Math.abs(stored.freshUntil - other.freshUntil), key).toBeLessThan(2000);
    expect(Math.abs(stored.pttl - other.pttl), key).toBeLessThan(2000);
  }
  return lean;
}

const responseKeys = (stored: Map<string, Stored>) => [...stored.keys()].filter((k) => k.startsWith('{rc:'));
const responseWrites = (gateway: RunningGateway) => gateway.cacheStats()?.response.writes ?? 0;

describe('known queries with the caches on answer as the pipeline does', () => {
  it('entity cache alone: misses, then entities from the cache (x-cache, cache-control), the same entity entries', async () => {
    const catalog = { query: CATALOG, variables: { first: 4 } };
    const first = await same(entities, catalog, {}, 3);
    expect(first.lean).toBe(2);
    expect(first.answers.map((a) => header(a, 'x-cache'))).toEqual(['miss', 'hit', 'hit']);
    const caller = await asUser(DEMO_USER_ID);
    const signedIn = await same(entities, { query: CATALOG, variables: { first: 6 } }, caller, 2);
    expect(signedIn.lean).toBe(2);
    const dashboard = await same(entities, { query: DASHBOARD, variables: { ordersFirst: 3 } }, caller, 3);
    expect(dashboard.lean).toBe(2);
    expect(header(dashboard.answers[2]!, 'cache-control')).toMatch(/private$/);
    const stored = await expectSameEntries(entities);
    expect(stored.size).toBeGreaterThan(0);
    expect(responseKeys(stored)).toEqual([]);
  });

  it('response cache: a public miss stored, then hits from the known path, byte for byte, the same entry', async () => {
    const catalog = { query: CATALOG, variables: { first: 3 } };
    const taught = await same(responses, catalog, {}, 3);
    expect(taught.lean).toBe(2);
    expect(taught.answers.map((a) => header(a, 'x-cache'))).toEqual(['miss', 'hit', 'hit']);
    expect(header(taught.answers[2]!, 'cache-control')).toMatch(/^max-age=\d+, public$/);
    // New variables: the known path's own miss, stored, then its hit.
    const writes = responseWrites(responses.lean);
    const again = await same(responses, { query: CATALOG, variables: { first: 5 } }, {}, 2);
    expect(again.lean).toBe(2);
    // Entities the first page cached serve part of it (x-cache partial): not a response hit.
    expect(header(again.answers[0]!, 'x-cache')).not.toBe('hit');
    expect(header(again.answers[1]!, 'x-cache')).toBe('hit');
    expect(responseWrites(responses.lean)).toBe(writes + 1);
    expect(responses.lean.cacheStats()?.response).toEqual(responses.full.cacheStats()?.response);
    const stored = await expectSameEntries(responses);
    expect(responseKeys(stored).filter((k) => k.endsWith(':pub'))).toHaveLength(2);
  });

  it('response cache: private entries stored under their user, never served to another user or to nobody', async () => {
    const [ada, heavy] = await Promise.all([asUser(DEMO_USER_ID), asUser(HEAVY_BUYER_ID)]);
    const adas = await same(responses, { query: ME }, ada, 3);
    expect(adas.lean).toBe(2);
    expect(adas.answers.map((a) => header(a, 'x-cache'))).toEqual(['miss', 'hit', 'hit']);
    expect(header(adas.answers[1]!, 'cache-control')).toMatch(/private$/);
    const heavys = await same(responses, { query: ME }, heavy, 2);
    expect(heavys.answers.map((a) => header(a, 'x-cache'))).toEqual(['miss', 'hit']);
    expect(heavys.answers[0]!.text).toContain(HEAVY_BUYER_ID);
    const anonymous = await same(responses, { query: ME });
    expect(anonymous.answers[0]!.text).toContain('UNAUTHENTICATED');
    const dashboard = await same(responses, { query: DASHBOARD }, ada, 2);
    expect(dashboard.lean).toBe(1);
    // Entities the earlier requests cached may serve part of its first answer: not a response hit.
    expect(header(dashboard.answers[0]!, 'x-cache')).not.toBe('hit');
    expect(header(dashboard.answers[1]!, 'x-cache')).toBe('hit');
    const stored = await expectSameEntries(responses);
    expect(responseKeys(stored).filter((k) => k.endsWith(`:u:${DEMO_USER_ID}`))).toHaveLength(2);
    expect(responseKeys(stored).filter((k) => k.endsWith(`:u:${HEAVY_BUYER_ID}`))).toHaveLength(1);
  });

  it('response cache: an answer with errors is not stored', async () => {
    const catalog = { query: CATALOG, variables: { first: 7 } };
    await same(responses, { query: CATALOG, variables: { first: 1 } });
    const writes = [responseWrites(responses.lean), responseWrites(responses.full)];
    inventory.behaviour = status(503);
    try {
      const failed = await same(responses, catalog, {}, 2);
      expect(failed.lean).toBe(2);
      expect(failed.answers[1]!.text).toContain('"errors"');
      expect(header(failed.answers[1]!, 'cache-control')).toBe('no-store');
    } finally {
      inventory.behaviour = proxyTo(fleet.urls.inventory);
    }
    expect([responseWrites(responses.lean), responseWrites(responses.full)]).toEqual(writes);
    await expectSameEntries(responses);
  });

  it('an answer built from stale entities says so, is not stored, and matches', async () => {
    const catalog = { query: CATALOG, variables: { first: 2 } };
    await same(shortLived, catalog);
    // Every entry past its second of freshness: the response's gone, the entities' kept stale.
    await sleep(1100);
    const refreshed = await same(shortLived, catalog);
    expect(refreshed.lean).toBe(1);
    await sleep(1100);
    const writes = [responseWrites(shortLived.lean), responseWrites(shortLived.full)];
    reviews.behaviour = status(503);
    try {
      const stale = await same(shortLived, catalog);
      expect(stale.lean).toBe(1);
      expect(stale.answers[0]!.text).toContain('"cache":{"stale":true}');
      expect(stale.answers[0]!.text).not.toContain('"errors"');
      expect(header(stale.answers[0]!, 'cache-control')).toBe('no-store');
    } finally {
      reviews.behaviour = proxyTo(fleet.urls.reviews);
    }
    expect([responseWrites(shortLived.lean), responseWrites(shortLived.full)]).toEqual(writes);
    expect(shortLived.lean.cacheStats()?.entity.stale).toBe(shortLived.full.cacheStats()?.entity.stale);
    expect(responseKeys(await expectSameEntries(shortLived))).toEqual([]);
  });

  it('behind the fast path: the known path answers its misses and teaches it their shapes', async () => {
    const fast = () => fronted.lean.fastHitStats()?.answered ?? 0;
    await same(fronted, { query: CATALOG, variables: { first: 8 } });
    const caller = await asUser(randomUUID());
    const before = fast();
    const miss = await same(fronted, { query: CATALOG, variables: { first: 9 } }, caller);
    expect(miss.lean).toBe(1);
    expect(fast()).toBe(before);
    const hits = await same(fronted, { query: CATALOG, variables: { first: 9 } }, caller, 2);
    expect(hits.lean).toBe(0);
    expect(fast()).toBe(before + 2);
    expect(hits.answers.map((a) => header(a, 'x-cache'))).toEqual(['hit', 'hit']);
    await expectSameEntries(fronted);
  });
});
