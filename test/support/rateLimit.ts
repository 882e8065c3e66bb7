import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import type { RunningGateway } from '../../lib/gateway/index.ts';
import type { RateLimitConfig } from '../../lib/ratelimit/index.ts';
import type { RedisConfig } from '../../lib/redis/index.ts';
import { startTestGateway } from './gateway.ts';
import { deleteKeys, TEST_REDIS_URL, uniqueKeyPrefix } from './redis.ts';
import { countSubgraphRequests, type SubgraphFleet, type SubgraphRequestCounter } from './subgraphs.ts';

/** What the rate-limit test files share: subgraphs, the test Redis under a key prefix of the file's own, gateways. */
export interface RateLimitStack {
  readonly fleet: SubgraphFleet;
  /** A client of the test Redis (to read or expire the limiter's keys). */
  readonly redis: Redis;
  /** GraphQL requests the subgraphs received: a refused operation must reach none. */
  readonly requests: SubgraphRequestCounter;
  readonly keyPrefix: string;
  /**
   * The test Redis under the file's prefix. The timeout is generous: a timed-out command falls back
   * (by design) to the insurance limiter and would change the counts.
   */
  sharedRedis: (commandTimeoutMs?: number) => RedisConfig;
  /** A gateway in this process with this rate limit, closed after the file. */
  gateway: (rateLimit: RateLimitConfig) => Promise<RunningGateway>;
}

/**
 * Registers the file's beforeAll/afterAll: starts the subgraphs with `startFleet` (the shared seeded
 * stack for a file that only reads, its own databases for one that writes), counts their requests,
 * and at the end closes the gateways and subgraphs and deletes the file's Redis keys.
 */
export function useRateLimitStack(label: string, startFleet: () => Promise<SubgraphFleet>): RateLimitStack {
  const keyPrefix = uniqueKeyPrefix(label);
  const gateways: RunningGateway[] = [];
  let fleet: SubgraphFleet | undefined;
  let redis: Redis | undefined;
  let requests: SubgraphRequestCounter | undefined;
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the rate-limit stack's ${what} is read before beforeAll started it`);
    return value;
  };

  beforeAll(async () => {
    fleet = await startFleet();
    requests = countSubgraphRequests(fleet);
    redis = new Redis(TEST_REDIS_URL);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    requests?.stop();
    await fleet?.close();
    if (redis) {
      await deleteKeys(redis, keyPrefix);
      redis.disconnect();
    }
  });

  return {
    get fleet() {
      return started(fleet, 'fleet');
    },
    get redis() {
      return started(redis, 'Redis client');
    },
    get requests() {
      return started(requests, 'request counter');
    },
    keyPrefix,
    sharedRedis: (commandTimeoutMs = 10_000) => ({ kind: 'single', url: TEST_REDIS_URL, keyPrefix, commandTimeoutMs }),
    gateway: async (rateLimit) => {
      const gateway = await startTestGateway(started(fleet, 'fleet').urls, { rateLimit });
      gateways.push(gateway);
      return gateway;
    },
  };
}
