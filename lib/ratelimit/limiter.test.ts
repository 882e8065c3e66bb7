import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../observability/index.ts';
import { createRedisConnection, type RedisConfig } from '../redis/index.ts';
import { rateLimitConfigFromEnv, type RateLimitBudgets, type RateLimitConfig } from './config.ts';
import { createRateLimiter, subjectKey } from './limiter.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const KEY_PREFIX = `test:limiter:${randomUUID().slice(0, 8)}:`;
const BUDGETS: RateLimitBudgets = { query: { points: 10, windowSeconds: 60 }, mutation: { points: 2, windowSeconds: 60 } };

const config = (redis: RedisConfig): RateLimitConfig => ({ budgets: BUDGETS, replicas: 1, redis });
const redisConfig: RedisConfig = { kind: 'single', url: REDIS_URL, keyPrefix: KEY_PREFIX, commandTimeoutMs: 1000 };
const connection = createRedisConnection(redisConfig, silentLogger());

afterAll(async () => {
  const admin = new Redis(REDIS_URL);
  const keys = await admin.keys(`${KEY_PREFIX}*`);
  if (keys.length) await admin.del(...keys);
  admin.disconnect();
  await connection.close();
});

describe('subjectKey', () => {
  it('hash-tags the whole subject, so a cluster keeps each subject on one slot', () => {
    expect(subjectKey({ userId: '42' })).toBe('{user:42}');
    expect(subjectKey({ ip: '::1' })).toBe('{ip:::1}');
  });
});

describe('rateLimitConfigFromEnv', () => {
  const memory: RedisConfig = { kind: 'memory', keyPrefix: '' };
  it('takes the profile defaults and env overrides', () => {
    const parsed = rateLimitConfigFromEnv(BUDGETS, memory, { RATE_LIMIT_QUERY_POINTS: '500', RATE_LIMIT_MUTATION_WINDOW_SECONDS: '10', RATE_LIMIT_REPLICAS: '3' });
    expect(parsed).toEqual({ budgets: { query: { points: 500, windowSeconds: 60 }, mutation: { points: 2, windowSeconds: 10 } }, replicas: 3, redis: memory });
  });
  it('turns limits off with RATE_LIMIT_ENABLED=false and refuses nonsense', () => {
    expect(rateLimitConfigFromEnv(BUDGETS, memory, { RATE_LIMIT_ENABLED: 'false' })).toBeNull();
    expect(() => rateLimitConfigFromEnv(BUDGETS, memory, { RATE_LIMIT_QUERY_POINTS: '-1' })).toThrow('RATE_LIMIT_QUERY_POINTS');
  });
});

describe.each([
  ['in-process', () => createRedisConnection({ kind: 'memory', keyPrefix: KEY_PREFIX }, silentLogger())],
  ['Redis', () => connection],
] as const)('createRateLimiter (%s)', (_name, open) => {
  it('admits exactly the budget of concurrent spends, and peeking spends nothing', async () => {
    const store = open();
    expect(await store.waitUntilReady(5000)).toBe(true);
    const limiter = createRateLimiter(config(store.config), store, 'web');
    const subject = { userId: randomUUID() };
    expect(await limiter.peek(subject, 'query')).toMatchObject({ remaining: 10, cost: 0 });
    const admissions = await Promise.all(Array.from({ length: 25 }, () => limiter.admit(subject, 'query', 1)));
    expect(admissions.filter((a) => a.admitted)).toHaveLength(10);
    const refused = admissions.find((a) => !a.admitted);
    expect(refused && !refused.admitted && refused.retryAfterSeconds).toBeGreaterThan(0);
    expect(await limiter.peek(subject, 'query')).toMatchObject({ remaining: 0 });
  });

  it('keeps kinds, clients and subjects apart', async () => {
    const store = open();
    const web = createRateLimiter(config(store.config), store, 'web');
    const mobile = createRateLimiter(config(store.config), store, 'mobile');
    const subject = { userId: randomUUID() };
    expect(await web.admit(subject, 'query', 10)).toMatchObject({ admitted: true, status: { remaining: 0 } });
    expect(await web.admit(subject, 'query', 1)).toMatchObject({ admitted: false });
    expect(await web.admit(subject, 'mutation', 1)).toMatchObject({ admitted: true, status: { remaining: 1, limit: 2 } });
    expect(await mobile.admit(subject, 'query', 1)).toMatchObject({ admitted: true, status: { remaining: 9 } });
    expect(await web.admit({ userId: randomUUID() }, 'query', 1)).toMatchObject({ admitted: true });
    expect(await web.admit({ ip: '127.0.0.9' }, 'query', 11)).toMatchObject({ admitted: false });
  });
});
