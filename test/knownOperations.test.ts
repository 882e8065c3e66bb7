// The lean path for known queries (lib/gateway/knownOperations.ts) against the full pipeline, on real
// subgraphs and the test Redis: pairs of gateways alike but for the lean path (on in one, off in the
// other), each pair on budgets of its own, get the same requests in the same order, and every answer
// must be the same bytes (status, headers, body) once the budget's reset time is set aside. Counted,
// not timed: the lean gateway must have answered the known, valid, admitted queries without its pipeline.
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationsDir, type RunningGateway } from '../lib/gateway/index.ts';
import { mobileProfile } from '../gateway-mobile/src/profile.ts';
import { isPersistedOnly } from '../lib/gateway/index.ts';
import type { RateLimitConfig } from '../lib/ratelimit/index.ts';
import type { RedisConfig } from '../lib/redis/index.ts';
import type { SubgraphName } from '../lib/services.ts';
import { asUser } from './support/auth.ts';
import { startTestGateway } from './support/gateway.ts';
import { deleteKeys, TEST_REDIS_URL, uniqueKeyPrefix } from './support/redis.ts';
import { startSeededSubgraphs } from './support/seededStack.ts';
import type { SubgraphFleet } from './support/subgraphs.ts';

const CATALOG = readFileSync(join(operationsDir('web'), 'Catalog.graphql'), 'utf8');
const DASHBOARD = readFileSync(join(operationsDir('web'), 'Dashboard.graphql'), 'utf8');
const KEY_PREFIX = uniqueKeyPrefix('knownops');
/** Budgets no test reaches (anonymous callers share one, by address), but the tight pair's. */
const BUDGET = 1_000_000;
const TIGHT_BUDGET = 400;

const redis = (pair: string): RedisConfig => ({
  kind: 'single',
  url: TEST_REDIS_URL,
  keyPrefix: `${KEY_PREFIX}${pair}:`,
  commandTimeoutMs: 10_000,
});
const rateLimit = (pair: string, points = BUDGET): RateLimitConfig => ({
  budgets: { query: { points, windowSeconds: 300 }, mutation: { points: 10, windowSeconds: 300 } },
  replicas: 1,
  redis: redis(pair),
});

interface Pair {
  lean: RunningGateway;
  full: RunningGateway;
}

let fleet: SubgraphFleet;
let admin: Redis;
let web: Pair;
let mobile: Pair;
/** Reviews and inventory unreachable: answers with subgraph errors. */
let broken: Pair;
/** Budgets a test spends to the end. */
let tight: Pair;

async function startPair(
  name: string,
  options: Parameters<typeof startTestGateway>[1] = {},
  urls = fleet.urls,
  points = BUDGET,
): Promise<Pair> {
  const [lean, full] = await Promise.all([
    startTestGateway(urls, { ...options, rateLimit: rateLimit(`${name}-lean`, points) }),
    startTestGateway(urls, { ...options, rateLimit: rateLimit(`${name}-full`, points), knownOperationsPath: false }),
  ]);
  return { lean, full };
}

beforeAll(async () => {
  fleet = await startSeededSubgraphs();
  admin = new Redis(TEST_REDIS_URL);
  const dead = 'http://127.0.0.1:9/graphql';
  const deadUrls: Record<SubgraphName, string> = { ...fleet.urls, reviews: dead, inventory: dead };
  [web, mobile, broken, tight] = await Promise.all([
    startPair('web'),
    startPair('mobile', { name: 'mobile' }),
    startPair('broken', { subgraphPolicies: { default: { timeoutMs: 5_000, retry: { maxAttempts: 1 } } } }, deadUrls),
    startPair('tight', {}, fleet.urls, TIGHT_BUDGET),
  ]);
});

afterAll(async () => {
  for (const pair of [web, mobile, broken, tight]) {
    await pair?.lean.close();
    await pair?.full.close();
  }
  await fleet?.close();
  if (admin) {
    await deleteKeys(admin, KEY_PREFIX);
    admin.disconnect();
  }
});

interface Sent {
  method?: 'GET' | 'POST';
  body?: unknown;
  /** Raw body text (overrides `body`). */
  raw?: string;
  search?: string;
  headers?: Record<string, string>;
}

interface Answer {
  status: number;
  headers: [string, string][];
  text: string;
}

async function send(url: string, { method = 'POST', body, raw, search = '', headers = {} }: Sent): Promise<Answer> {
  const response = await fetch(`${url}${search}`, {
    method,
    headers: method === 'POST' ? { 'content-type': 'application/json', ...headers } : headers,
    ...(method === 'POST' ? { body: raw ?? JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  const shown = [...response.headers].filter(([name]) => !['date', 'x-request-id', 'keep-alive'].includes(name));
  // The budget's reset time depends on when each pair's window opened (so does a refusal's wait);
  // everything else must match.
  const when = (t: string) =>
    t
      .replace(/"resetAt":"[^"]+"/g, '"resetAt":"T"')
      .replace(/retry after \S+ \(in \d+ s\)/g, 'retry after T')
      .replace(/"retryAfterSeconds":\d+/g, '"retryAfterSeconds":N');
  return {
    status: response.status,
    headers: shown.map(([name, value]) => [name, name === 'retry-after' ? 'N' : value]),
    text: when(text),
  };
}

const leanStats = (pair: Pair) => {
  const stats = pair.lean.knownOperationStats();
  if (!stats) throw new Error('the lean path is off');
  return stats;
};

/**
 * Sends the request to both gateways of a pair, `times` times in turn (the first teaches the lean
 * gateway the document), and expects equal answers each time; returns the last and how many the
 * lean gateway answered without its pipeline.
 */
async function same(pair: Pair, request: Sent, times = 2): Promise<{ answer: Answer; lean: number }> {
  const before = leanStats(pair).answered;
  let answer: Answer | undefined;
  for (let i = 0; i < times; i += 1) {
    const [lean, full] = [await send(pair.lean.url, request), await send(pair.full.url, request)];
    expect(lean).toEqual(full);
    answer = lean;
  }
  expect(pair.full.knownOperationStats()).toBeNull();
  return { answer: answer as Answer, lean: leanStats(pair).answered - before };
}

const user = () => asUser(randomUUID());

describe('known queries without the pipeline answer as the pipeline does', () => {
  it('answers a known catalog query (anonymous and signed in, new variables) without the pipeline, byte for byte', async () => {
    const caller = await user();
    const first = await same(web, { body: { query: CATALOG, variables: { first: 3 } } });
    expect(first.lean).toBe(1);
    expect(first.answer.status).toBe(200);
    expect(first.answer.text).toContain('"rateLimit":{"cost"');
    const signedIn = await same(web, { body: { query: CATALOG, variables: { first: 4 } }, headers: caller }, 3);
    expect(signedIn.lean).toBe(3);
    const named = await same(web, {
      body: { query: CATALOG, operationName: 'Catalog', variables: { first: 2, filter: { maxPrice: 10_000 } } },
    });
    expect(named.lean).toBe(1);
    // Another content type, once negotiated by the pipeline.
    const accept = { accept: 'application/graphql-response+json' };
    expect((await same(web, { body: { query: CATALOG }, headers: accept }, 3)).lean).toBe(2);
  });

  it('answers a signed-in dashboard (private cache hints, identity signed to subgraphs) the same way', async () => {
    const caller = await user();
    const { answer, lean } = await same(web, {
      body: { query: DASHBOARD, variables: { ordersFirst: 3 } },
      headers: caller,
    });
    expect(lean).toBe(1);
    expect(answer.text).not.toContain('"errors"');
  });

  it('leaves to the pipeline what it refuses: bad variables, limits, unknown operation names, bad tokens', async () => {
    await same(web, { body: { query: CATALOG, variables: { first: 3 } } });
    const refusals: Sent[] = [
      { body: { query: CATALOG, variables: { first: 'three' } } },
      { body: { query: CATALOG, variables: { first: 1000 } } },
      { body: { query: CATALOG, variables: { first: 3, filter: { nope: 1 } } } },
      { body: { query: CATALOG, operationName: 'Nope', variables: { first: 3 } } },
      { body: { query: CATALOG, operationName: '', variables: { first: 3 } } },
      { body: { query: CATALOG, variables: { first: 3 } }, headers: { authorization: 'Bearer not-a-token' } },
      { body: { query: CATALOG, variables: { first: 3 } }, headers: { authorization: 'Basic abc' } },
      { body: { query: '{ products(first: 2) { totalCount ' } },
      { body: { query: '{ nope }' } },
      { body: { query: CATALOG, variables: { first: 3 } }, headers: { accept: 'text/html' } },
    ];
    for (const request of refusals) {
      const { answer, lean } = await same(web, request);
      expect(lean, request.raw ?? JSON.stringify(request.body)).toBe(0);
      expect(answer.text).toContain('"errors"');
    }
  });

  it('refuses over budget as the pipeline does, having spent the same points', async () => {
    const caller = await user();
    const request: Sent = { body: { query: CATALOG, variables: { first: 20 } }, headers: caller };
    let refused = 0;
    for (let i = 0; i < 40 && refused < 2; i += 1) {
      const { answer } = await same(tight, request, 1);
      if (answer.text.includes('RATE_LIMITED')) refused += 1;
    }
    expect(refused).toBe(2);
  });

  it('GET, batches, APQ registrations and APQ ids take the pipeline and answer alike', async () => {
    const query = '{ products(first: 1) { totalCount } }';
    await same(web, { body: { query } });
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const apq = { persistedQuery: { version: 1, sha256Hash } };
    const cases: Sent[] = [
      { method: 'GET', search: `?query=${encodeURIComponent(query)}`, headers: { 'apollo-require-preflight': '1' } },
      { method: 'GET', search: `?query=${encodeURIComponent(query)}` },
      { body: [{ query }, { query }] },
      { body: { query, extensions: apq } },
      { body: { extensions: apq } },
      { body: { extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } } },
      { raw: '{"query": ' },
      { body: { query: CATALOG, variables: null } },
    ];
    for (const request of cases) expect((await same(web, request)).lean).toBe(0);
  });

  it('answers subgraph errors (partial data, codes, paths) byte for byte', async () => {
    const { answer, lean } = await same(broken, { body: { query: CATALOG, variables: { first: 2 } } }, 3);
    expect(lean).toBe(2);
    expect(answer.text).toContain('"errors"');
    expect(answer.headers).toContainEqual(['cache-control', 'no-store']);
    // An anonymous caller asking for a signed-in field: the subgraph's own UNAUTHENTICATED.
    const me = await same(web, { body: { query: '{ me { id name } }' } });
    expect(me.lean).toBe(1);
    expect(me.answer.text).toContain('UNAUTHENTICATED');
  });

  it("mobile: the manifest's persisted ids run without the pipeline once known", async () => {
    const manifest = isPersistedOnly(mobileProfile.operations) ? mobileProfile.operations.manifest : null;
    const id = manifest?.operations.find((o) => o.name === 'Dashboard')?.id;
    expect(id).toBeDefined();
    const caller = await user();
    const request: Sent = { body: { extensions: { persistedQuery: { version: 1, sha256Hash: id } } }, headers: caller };
    const { answer, lean } = await same(mobile, request, 3);
    expect(lean).toBe(2);
    expect(answer.status).toBe(200);
    // An unregistered text and an unknown id are the pipeline's (and the door's) to refuse.
    for (const refused of [
      { body: { query: '{ products(first: 1) { totalCount } }' } },
      { body: { extensions: { persistedQuery: { version: 1, sha256Hash: 'e'.repeat(64) } } } },
    ])
      expect((await same(mobile, refused)).lean).toBe(0);
  });
});
