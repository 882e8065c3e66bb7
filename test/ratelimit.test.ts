// Per-user rate limits at the gateways, on the real Redis: the 429 path, what spends and what does
// not (aliases, batches, Query.rateLimit), anonymous callers by IP, exactness across two gateway
// processes, and the insurance limiter while a Redis of the test's own is down and after it is back.
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RateLimitConfig } from '../lib/ratelimit/index.ts';
import type { RedisConfig } from '../lib/redis/index.ts';
import { asUser } from './support/auth.ts';
import { distinctDocument, errorCodes, postGraphQL, type GraphQLResponse } from './support/gateway.ts';
import { GatewayProcess } from './support/gatewayProcess.ts';
import { freePorts } from './support/ports.ts';
import { useRateLimitStack } from './support/rateLimit.ts';
import { startRedisServer, TEST_REDIS_URL, type RedisServerProcess } from './support/redis.ts';
import { startSeededSubgraphs } from './support/seededStack.ts';

/** One object field: costs exactly 1 point (lib/graphql/cost.ts) and one products fetch. */
const ONE_POINT = '{ category(slug: "books") { name } }';
const BUDGET_READ = '{ rateLimit { limit cost remaining resetAt } }';
// Reads only: the shared seeded stack (test/support/seededStack.ts).
const stack = useRateLimitStack('ratelimit', () => startSeededSubgraphs());
const KEY_PREFIX = stack.keyPrefix;

function limits(points: number, redisConfig: RedisConfig, replicas = 1): RateLimitConfig {
  return {
    budgets: { query: { points, windowSeconds: 60 }, mutation: { points: 10, windowSeconds: 60 } },
    replicas,
    redis: redisConfig,
  };
}

const sharedRedis = stack.sharedRedis;
const gateway = stack.gateway;

function rateLimitOf(response: { body: { extensions?: Record<string, unknown> } }): Record<string, unknown> {
  const value = response.body.extensions?.rateLimit;
  expect(value, 'extensions.rateLimit').toBeTypeOf('object');
  return value as Record<string, unknown>;
}

type Reply = GraphQLResponse & { body: GraphQLResponse['body'] & { extensions?: Record<string, unknown> } };

async function post(url: string, query: string, headers: Record<string, string> = {}): Promise<Reply> {
  return await postGraphQL(url, query, {}, headers);
}

/** A POST from a given loopback address (127.0.0.x), to stand in for different client IPs. */
function postFrom(localAddress: string, url: string, query: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ query });
    const req = request(
      url,
      {
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
          resolve({ status: res.statusCode ?? 0, headers, body: JSON.parse(text) as Reply['body'] });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('one gateway on the shared Redis', () => {
  let url: string;
  beforeAll(async () => {
    url = (await gateway(limits(5, sharedRedis()))).url;
  });

  it('spends cost points, then refuses with 429, Retry-After and RATE_LIMITED before any subgraph call', async () => {
    const user = await asUser(randomUUID());
    for (let i = 1; i <= 5; i++) {
      const ok = await post(url, ONE_POINT, user);
      expect(ok.status).toBe(200);
      expect(ok.body.errors).toBeUndefined();
      expect(rateLimitOf(ok)).toMatchObject({ cost: 1, remaining: 5 - i, limit: 5 });
    }
    const before = stack.requests.of('products');
    const refused = await post(url, ONE_POINT, user);
    expect(refused.status).toBe(429);
    expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors?.[0]?.message).toMatch(/retry after \d{4}-\d\d-\d\dT.*\(in \d+ s\)/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.body.errors?.[0]?.extensions?.retryAfterSeconds).toBe(retryAfter);
    expect(rateLimitOf(refused)).toMatchObject({ remaining: 0, limit: 5 });
    expect(stack.requests.of('products')).toBe(before);
  });

  it('charges aliases by their cost, so they cannot multiply a budget', async () => {
    const user = await asUser(randomUUID());
    const threeAliases =
      '{ a: category(slug: "books") { name } b: category(slug: "books") { name } c: category(slug: "books") { name } }';
    const first = await post(url, threeAliases, user);
    expect(first.status).toBe(200);
    expect(rateLimitOf(first)).toMatchObject({ cost: 3, remaining: 2 });
    const before = stack.requests.of('products');
    const second = await post(url, threeAliases, user);
    expect(second.status).toBe(429);
    expect(errorCodes(second)).toEqual(['RATE_LIMITED']);
    expect(stack.requests.of('products')).toBe(before);
  });

  it('refuses a batch before it spends anything', async () => {
    const user = await asUser(randomUUID());
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...user },
      body: JSON.stringify(Array.from({ length: 10 }, () => ({ query: ONE_POINT }))),
    });
    expect(response.status).toBe(400);
    // The read spends its own point (no request is free): the batch spent nothing.
    const budget = await post(url, BUDGET_READ, user);
    expect(budget.body.data?.rateLimit).toMatchObject({ remaining: 4, cost: 1, limit: 5 });
  });

  it('reads Query.rateLimit for one point, as no request is free, and shows what was spent', async () => {
    const user = await asUser(randomUUID());
    for (let i = 1; i <= 3; i++) {
      const read = await post(url, BUDGET_READ, user);
      expect(read.status).toBe(200);
      expect(read.body.data?.rateLimit).toMatchObject({ limit: 5, cost: 1, remaining: 5 - i });
      expect(rateLimitOf(read)).toMatchObject({ cost: 1, remaining: 5 - i });
    }
    await post(url, ONE_POINT, user);
    const after = await post(url, BUDGET_READ, user);
    const budget = after.body.data?.rateLimit as { remaining: number; resetAt: string };
    expect(budget.remaining).toBe(0);
    expect(Date.parse(budget.resetAt)).toBeGreaterThan(Date.now());
  });

  it('keys anonymous callers by their IP, apart from each other and from signed-in users', async () => {
    const spent = await Promise.all(Array.from({ length: 6 }, () => postFrom('127.0.0.2', url, ONE_POINT)));
    expect(spent.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 429]);
    const sameIp = await postFrom('127.0.0.2', url, ONE_POINT);
    expect(sameIp.status).toBe(429);
    const otherIp = await postFrom('127.0.0.3', url, ONE_POINT);
    expect(otherIp.status).toBe(200);
    expect(rateLimitOf(otherIp)).toMatchObject({ remaining: 4 });
    const signedIn = await post(url, ONE_POINT, await asUser(randomUUID()));
    expect(signedIn.status).toBe(200);
  });
});

describe('exactness across two gateway processes sharing Redis', () => {
  const processes: GatewayProcess[] = [];
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
  });

  it('admits exactly L = 100 of N = 500 concurrent one-point queries from one user', async () => {
    const ports = await freePorts(2);
    // A command timeout far above a loaded machine's Redis latency: exactness is about Redis, and a
    // timed-out command would (by design) fall back to the per-process insurance limiter.
    const env = {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: KEY_PREFIX,
      REDIS_COMMAND_TIMEOUT_MS: '10000',
      RATE_LIMIT_QUERY_POINTS: '100',
      RATE_LIMIT_QUERY_WINDOW_SECONDS: '300',
      RATE_LIMIT_REPLICAS: '2',
      // All 100 admitted requests may land on one process at once, where the default bulkhead (64
      // running, 16 queued) would rightly shed some and a 1.5 s attempt timeout retry some on a loaded
      // machine: room and time for the whole burst, one attempt each, so each admission is one call.
      SUBGRAPH_POLICY: JSON.stringify({
        timeoutMs: 20_000,
        budgetMs: 30_000,
        retry: { maxAttempts: 1 },
        bulkhead: { maxConcurrent: 128, maxQueue: 512 },
      }),
    };
    processes.push(...ports.map((port) => new GatewayProcess('web', port, stack.fleet.urls, env)));
    await Promise.all(processes.map((p) => p.start()));
    const user = await asUser(randomUUID());
    const before = stack.requests.of('products');
    const responses = await Promise.all(
      Array.from({ length: 500 }, (_, i) => post(processes[i % 2]!.url, distinctDocument(ONE_POINT, i), user)),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(100);
    expect(statuses.filter((s) => s === 429)).toHaveLength(400);
    // Every admitted request was answered in full (a failed subgraph call would hide in a 200).
    expect(responses.filter((r) => r.status === 200).flatMap(errorCodes)).toEqual([]);
    expect(responses.filter((r) => r.status === 429).every((r) => errorCodes(r)[0] === 'RATE_LIMITED')).toBe(true);
    // Both processes admitted some: the budget really was shared, not one process's own.
    expect(new Set(responses.flatMap((r, i) => (r.status === 200 ? [i % 2] : []))).size).toBe(2);
    expect(stack.requests.of('products') - before).toBe(100);
  }, 120_000);
});

describe('when Redis fails', () => {
  let own: RedisServerProcess;
  let url: string;
  beforeAll(async () => {
    own = await startRedisServer();
    // Budget 10 over 2 replicas: while Redis is down each process allows 5.
    // Timeout well above a loaded machine's Redis latency, well below the tests' fetch timeout.
    url = (
      await gateway(limits(10, { kind: 'single', url: own.url, keyPrefix: KEY_PREFIX, commandTimeoutMs: 1500 }, 2))
    ).url;
  });
  afterAll(async () => {
    await own?.stop();
  });

  const redisCheck = async () =>
    ((await (await fetch(url.replace('/graphql', '/ready'))).json()) as { checks: Record<string, string> }).checks
      .redis;

  async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  it('falls back to the insurance limiter without hanging, and recovers when Redis is back', async () => {
    const user = await asUser(randomUUID());
    expect(await redisCheck()).toBe('ok');
    const onRedis = await post(url, ONE_POINT, user);
    expect(rateLimitOf(onRedis)).toMatchObject({ remaining: 9, limit: 10 });

    await own.stop();
    await until(async () => (await redisCheck()) !== 'ok', 5000);
    // Bounded by the fetch timeout: a request waiting on a dead Redis would fail here.
    const down = [];
    for (let i = 0; i < 6; i++) down.push(await postGraphQL(url, ONE_POINT, {}, user).then((r) => r as Reply));
    expect(down.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429]);
    expect(errorCodes(down[5]!)).toEqual(['RATE_LIMITED']);

    await own.start();
    await until(async () => (await redisCheck()) === 'ok', 10_000);
    // The restarted Redis is empty: the full budget is back, spent in Redis again.
    const recovered = await post(url, ONE_POINT, user);
    expect(recovered.status).toBe(200);
    expect(rateLimitOf(recovered)).toMatchObject({ remaining: 9, limit: 10 });
  }, 60_000);

  it('treats a stalled Redis like a dead one once the command timeout passes', async () => {
    const user = await asUser(randomUUID());
    await until(async () => (await redisCheck()) === 'ok', 10_000);
    own.signal('SIGSTOP');
    try {
      const stalled = await Promise.all(
        Array.from({ length: 6 }, () =>
          fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...user },
            body: JSON.stringify({ query: ONE_POINT }),
            // Far above the 300 ms command timeout, far below a hang.
            signal: AbortSignal.timeout(10_000),
          }).then((r) => r.status),
        ),
      );
      expect(stalled.sort()).toEqual([200, 200, 200, 200, 200, 429]);
    } finally {
      own.signal('SIGCONT');
    }
    // Admissions that timed out were already written to the socket, so the resumed Redis may still
    // apply them: the shared count errs towards spending more, never less. Redis is in charge again.
    await until(async () => (await redisCheck()) === 'ok', 10_000);
    const resumed = await post(url, ONE_POINT, user);
    expect(resumed.status).toBe(200);
    const { remaining } = rateLimitOf(resumed) as { remaining: number };
    expect(remaining).toBeGreaterThanOrEqual(3);
    expect(remaining).toBeLessThanOrEqual(9);
    const next = await post(url, ONE_POINT, user);
    expect(rateLimitOf(next)).toMatchObject({ remaining: remaining - 1, limit: 10 });
  }, 60_000);
});
