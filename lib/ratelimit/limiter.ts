import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Client } from '../auth/index.ts';
import type { RedisConnection } from '../redis/index.ts';
import type { OperationKind, RateLimitBudget, RateLimitConfig } from './config.ts';

/** Who spends a budget: the verified user, else (anonymous) the client's IP address. */
export type RateLimitSubject = { userId: string } | { ip: string };

/** A budget after one decision; `extensions.rateLimit` and `Query.rateLimit` show it. */
export interface RateLimitStatus {
  limit: number;
  cost: number;
  remaining: number;
  resetAt: Date;
}

export type Admission = { admitted: true; status: RateLimitStatus } | { admitted: false; status: RateLimitStatus; retryAfterSeconds: number };

export interface RateLimiter {
  /** Spends `cost` points, atomically: one Lua script on Redis, check and spend together. */
  admit(subject: RateLimitSubject, kind: OperationKind, cost: number): Promise<Admission>;
  /** The budget as it stands, spending nothing. */
  peek(subject: RateLimitSubject, kind: OperationKind): Promise<RateLimitStatus>;
}

/**
 * The hash tag (`{user:42}`) puts every key of one subject in one Cluster slot, so the same code runs
 * on one Redis or a Cluster; the user id comes from a verified token, the IP from the socket.
 */
export function subjectKey(subject: RateLimitSubject): string {
  return 'userId' in subject ? `{user:${subject.userId}}` : `{ip:${subject.ip}}`;
}

function limiterFor(connection: RedisConnection, keyPrefix: string, budget: RateLimitBudget, replicas: number): RateLimiterAbstract {
  const memory = (points: number) => new RateLimiterMemory({ keyPrefix, points, duration: budget.windowSeconds });
  if (connection.client === null) return memory(budget.points);
  return new RateLimiterRedis({
    storeClient: connection.client,
    keyPrefix,
    points: budget.points,
    duration: budget.windowSeconds,
    // Fail over at once while disconnected rather than wait for a command to fail.
    rejectIfRedisNotReady: true,
    insuranceLimiter: memory(Math.max(1, Math.floor(budget.points / replicas))),
  });
}

function statusOf(budget: RateLimitBudget, cost: number, result: RateLimiterRes | null): RateLimitStatus {
  if (result === null) return { limit: budget.points, cost, remaining: budget.points, resetAt: new Date(Date.now() + budget.windowSeconds * 1000) };
  return { limit: budget.points, cost, remaining: Math.max(0, result.remainingPoints), resetAt: new Date(Date.now() + result.msBeforeNext) };
}

/** The gateway's limiter for one client (web or mobile): one budget per operation kind and subject. */
export function createRateLimiter(config: RateLimitConfig, connection: RedisConnection, client: Client): RateLimiter {
  const limiters = {
    query: limiterFor(connection, `${connection.keyPrefix}rl:${client}:query`, config.budgets.query, config.replicas),
    mutation: limiterFor(connection, `${connection.keyPrefix}rl:${client}:mutation`, config.budgets.mutation, config.replicas),
  } satisfies Record<OperationKind, RateLimiterAbstract>;
  return {
    async admit(subject, kind, cost) {
      const budget = config.budgets[kind];
      try {
        const result = await limiters[kind].consume(subjectKey(subject), cost);
        return { admitted: true, status: statusOf(budget, cost, result) };
      } catch (rejection) {
        // rate-limiter-flexible rejects with a RateLimiterRes when over budget, with an Error otherwise
        // (only when both Redis and the insurance limiter failed).
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        return { admitted: false, status: statusOf(budget, cost, rejection), retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
      }
    },
    async peek(subject, kind) {
      const result = await limiters[kind].get(subjectKey(subject));
      return statusOf(config.budgets[kind], 0, result);
    },
  };
}
