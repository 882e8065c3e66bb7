// Per-field rate limits declared in the schema (`addReview @rateLimit(max: 5, window: "1m")` in the
// reviews SDL, composed into the supergraph) on the real Redis through real gateways: at and past
// the edge, aliases counted per occurrence, exact across two gateway processes, nothing written
// when refused; and fail-closed fields refused while a Redis of the test's own is down.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mobileProfile } from '../gateway-mobile/src/profile.ts';
import { webProfile } from '../gateway-web/src/profile.ts';
import { gatewayConfigFromEnv } from '../lib/gateway/index.ts';
import type { RateLimitConfig } from '../lib/ratelimit/index.ts';
import type { RedisConfig } from '../lib/redis/index.ts';
import { asUser } from './support/auth.ts';
import { uniquePrefix } from './support/databases.ts';
import { postGraphQL, type GraphQLResponse } from './support/gateway.ts';
import { GatewayProcess } from './support/gatewayProcess.ts';
import { freePorts } from './support/ports.ts';
import { useRateLimitStack } from './support/rateLimit.ts';
import { startRedisServer, TEST_REDIS_URL, type RedisServerProcess } from './support/redis.ts';
import { startSubgraphs } from './support/subgraphs.ts';

const ONE_POINT = '{ category(slug: "books") { name } }';
const ADD_REVIEW = 'mutation($p: ID!) { addReview(productId: $p, rating: 4) { id } }';
type Reply = GraphQLResponse & {
  body: GraphQLResponse['body'] & { extensions?: { rateLimit?: Record<string, unknown> } };
};

// Writes reviews: databases of its own.
const stack = useRateLimitStack('rlfields', () => startSubgraphs(uniquePrefix('rlfields')));
const KEY_PREFIX = stack.keyPrefix;
let knownProducts: string[] = [];

beforeAll(async () => {
  knownProducts = (
    await stack.fleet.servers.reviews.prisma.$queryRawUnsafe<Array<{ productId: string }>>(
      `SELECT DISTINCT "productId" FROM "Purchase" ORDER BY 1`,
    )
  ).map((r) => r.productId);
});

function takeProducts(count: number): string[] {
  const taken = knownProducts.splice(0, count);
  if (taken.length < count) throw new Error('ran out of known products');
  return taken;
}

function limits(redisConfig: RedisConfig, extra: Partial<RateLimitConfig> = {}): RateLimitConfig {
  return {
    budgets: { query: { points: 1000, windowSeconds: 60 }, mutation: { points: 100, windowSeconds: 60 } },
    replicas: 1,
    redis: redisConfig,
    ...extra,
  };
}

const sharedRedis = stack.sharedRedis();
const gateway = stack.gateway;

const post = async (url: string, query: string, variables: Record<string, unknown>, headers: Record<string, string>) =>
  (await postGraphQL(url, query, variables, headers)) as Reply;
const codeOf = (r: GraphQLResponse) => r.body.errors?.[0]?.extensions?.code;
const reviewsBy = async (userId: string) =>
  (
    await stack.fleet.servers.reviews.prisma.$queryRawUnsafe<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM "Review" WHERE "authorId" = $1::uuid`,
      userId,
    )
  )[0]?.n;

/** `a0: addReview(...) a1: addReview(...)`: one operation reviewing each product once. */
function aliased(products: string[]): string {
  return `mutation { ${products.map((p, i) => `a${i}: addReview(productId: "${p}", rating: 3) { id }`).join(' ')} }`;
}

describe('Mutation.addReview @rateLimit(max: 5, window: "1m")', () => {
  let url: string;
  beforeAll(async () => {
    url = (await gateway(limits(sharedRedis))).url;
  });

  it('admits 5 a minute per user; the 6th is HTTP 429 RATE_LIMITED with Retry-After, reaches no subgraph and writes nothing', async () => {
    const userId = randomUUID();
    const headers = await asUser(userId);
    const products = takeProducts(6);
    for (let i = 0; i < 5; i++) {
      const ok = await post(url, ADD_REVIEW, { p: products[i] }, headers);
      expect(ok.status).toBe(200);
      expect(ok.body.errors).toBeUndefined();
      expect(ok.body.extensions?.rateLimit).toMatchObject({
        cost: 1,
        remaining: 99 - i,
        limit: 100,
        fields: { 'Mutation.addReview': { cost: 1, remaining: 4 - i, limit: 5 } },
      });
    }
    const before = stack.requests.of('reviews');
    const refused = await post(url, ADD_REVIEW, { p: products[5] }, headers);
    expect(refused.status).toBe(429);
    expect(codeOf(refused)).toBe('RATE_LIMITED');
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ field: 'Mutation.addReview' });
    expect(refused.body.errors?.[0]?.message).toMatch(
      /^Rate limit reached for Mutation\.addReview: .* retry after \d{4}-\d\d-\d\dT.*\(in \d+ s\)$/,
    );
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.body.errors?.[0]?.extensions?.retryAfterSeconds).toBe(retryAfter);
    // Refused: the mutation budget was not spent either.
    expect(refused.body.extensions?.rateLimit).toMatchObject({
      remaining: 95,
      fields: { 'Mutation.addReview': { remaining: 0, limit: 5 } },
    });
    expect(stack.requests.of('reviews')).toBe(before);
    expect(await reviewsBy(userId)).toBe(5);
    // Other operations of the same user still run.
    expect((await post(url, ONE_POINT, {}, headers)).status).toBe(200);
  });

  it('counts aliases per occurrence: 4 in one operation, then 2 more are refused whole, then 1 fits', async () => {
    const userId = randomUUID();
    const headers = await asUser(userId);
    const products = takeProducts(7);
    const four = await post(url, aliased(products.slice(0, 4)), {}, headers);
    expect(four.status).toBe(200);
    expect(four.body.errors).toBeUndefined();
    // A mutation spends one per root field from the mutation budget, too.
    expect(four.body.extensions?.rateLimit).toMatchObject({
      cost: 4,
      remaining: 96,
      fields: { 'Mutation.addReview': { cost: 4, remaining: 1 } },
    });
    const before = stack.requests.of('reviews');
    const two = await post(url, aliased(products.slice(4, 6)), {}, headers);
    expect(two.status).toBe(429);
    expect(codeOf(two)).toBe('RATE_LIMITED');
    expect(stack.requests.of('reviews')).toBe(before);
    expect(await reviewsBy(userId)).toBe(4);
    const one = await post(url, aliased(products.slice(6, 7)), {}, headers);
    expect(one.status).toBe(200);
    expect(await reviewsBy(userId)).toBe(5);
  });

  it('keeps users apart', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const products = takeProducts(10);
    expect((await post(url, aliased(products.slice(0, 5)), {}, await asUser(a))).status).toBe(200);
    expect((await post(url, aliased(products.slice(5, 10)), {}, await asUser(b))).status).toBe(200);
    expect([await reviewsBy(a), await reviewsBy(b)]).toEqual([5, 5]);
  });
});

describe('exactness of a field budget across two gateway processes sharing Redis', () => {
  const processes: GatewayProcess[] = [];
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
  });

  it('admits exactly 5 of 24 concurrent addReview mutations from one user, and writes exactly 5 reviews', async () => {
    const ports = await freePorts(2);
    const env = {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: KEY_PREFIX,
      REDIS_COMMAND_TIMEOUT_MS: '10000',
      RATE_LIMIT_REPLICAS: '2',
    };
    processes.push(...ports.map((port) => new GatewayProcess('web', port, stack.fleet.urls, env)));
    await Promise.all(processes.map((p) => p.start()));
    const userId = randomUUID();
    const headers = await asUser(userId);
    const products = takeProducts(24);
    const before = stack.requests.of('reviews');
    const responses = await Promise.all(
      products.map((p, i) => post(processes[i % 2]!.url, ADD_REVIEW, { p }, headers)),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(19);
    expect(responses.filter((r) => r.status === 200 && r.body.errors)).toEqual([]);
    expect(responses.filter((r) => r.status === 429).every((r) => codeOf(r) === 'RATE_LIMITED')).toBe(true);
    expect(stack.requests.of('reviews') - before).toBe(5);
    expect(await reviewsBy(userId)).toBe(5);
  }, 120_000);
});

describe('fail-closed fields while Redis is down', () => {
  let own: RedisServerProcess;
  let closed: string;
  let open: string;
  beforeAll(async () => {
    own = await startRedisServer();
    const redisConfig: RedisConfig = { kind: 'single', url: own.url, keyPrefix: KEY_PREFIX, commandTimeoutMs: 1500 };
    // As Mutation.checkout is by default: addReview marked fail-closed in this gateway's profile.
    closed = (await gateway(limits(redisConfig, { failClosedFields: ['Mutation.addReview'] }))).url;
    // The default: only checkout fails closed, so addReview falls back to the insurance limiter.
    open = (await gateway(limits(redisConfig, { failClosedFields: webProfile.rateLimitFailClosedFields }))).url;
  });
  afterAll(async () => {
    await own?.stop();
  });

  const redisCheck = async (url: string) =>
    ((await (await fetch(url.replace('/graphql', '/ready'))).json()) as { checks: Record<string, string> }).checks
      .redis;

  async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  it('refuses them with 503 SERVICE_UNAVAILABLE and runs nothing, while queries and other fields use the insurance limiter', async () => {
    const userId = randomUUID();
    const headers = await asUser(userId);
    const products = takeProducts(4);
    expect((await post(closed, ADD_REVIEW, { p: products[0] }, headers)).status).toBe(200);

    await own.stop();
    await until(async () => (await redisCheck(closed)) !== 'ok' && (await redisCheck(open)) !== 'ok', 5000);
    const before = stack.requests.of('reviews');
    const refused = await post(closed, ADD_REVIEW, { p: products[1] }, headers);
    expect(refused.status).toBe(503);
    expect(codeOf(refused)).toBe('SERVICE_UNAVAILABLE');
    expect(refused.body.errors?.[0]?.message).toMatch(
      /^Mutation\.addReview cannot run while request budgets cannot be checked/,
    );
    expect(refused.body.data).toBeUndefined();
    expect(stack.requests.of('reviews')).toBe(before);
    expect(await reviewsBy(userId)).toBe(1);
    // Queries keep the insurance limiter, on the same gateway.
    expect((await post(closed, ONE_POINT, {}, headers)).status).toBe(200);
    // Where addReview is not fail-closed, it runs on the insurance limiter.
    const insured = await post(open, ADD_REVIEW, { p: products[2] }, headers);
    expect(insured.status).toBe(200);
    expect(await reviewsBy(userId)).toBe(2);

    await own.start();
    await until(async () => (await redisCheck(closed)) === 'ok', 10_000);
    const recovered = await post(closed, ADD_REVIEW, { p: products[3] }, headers);
    expect(recovered.status).toBe(200);
    expect(await reviewsBy(userId)).toBe(3);
  }, 60_000);
});

describe('default configuration', () => {
  it('gives both gateways a tighter checkout budget and makes Mutation.checkout fail closed; env overrides both', () => {
    for (const profile of [webProfile, mobileProfile]) {
      const config = gatewayConfigFromEnv(profile, { REDIS_URL: TEST_REDIS_URL });
      expect(config.rateLimit?.failClosedFields).toEqual(['Mutation.checkout']);
      const checkout = config.rateLimit?.budgets.fields?.['Mutation.checkout'];
      expect(checkout?.points).toBeLessThan(config.rateLimit?.budgets.mutation.points ?? 0);
      const overridden = gatewayConfigFromEnv(profile, {
        RATE_LIMIT_CHECKOUT_POINTS: '2',
        RATE_LIMIT_CHECKOUT_WINDOW_SECONDS: '30',
        RATE_LIMIT_FAIL_CLOSED_FIELDS: 'Mutation.checkout,Mutation.addReview',
      });
      expect(overridden.rateLimit).toMatchObject({
        budgets: { fields: { 'Mutation.checkout': { points: 2, windowSeconds: 30 } } },
        failClosedFields: ['Mutation.checkout', 'Mutation.addReview'],
      });
    }
  });
});
