import { z } from 'zod';
import type { RedisConfig } from '../redis/index.ts';

/** `points` per window of `windowSeconds`: cost points for queries, a count for mutations. */
export interface RateLimitBudget {
  points: number;
  windowSeconds: number;
}

/**
 * A client's budgets per operation kind (profile defaults, env overrides). Queries spend their static
 * cost (lib/graphql/cost.ts), so aliases and large pages spend more; mutations spend 1 each. A tighter
 * budget for one mutation (`checkout`, `addReview`) is another entry here, keyed by its root field.
 */
export interface RateLimitBudgets {
  query: RateLimitBudget;
  mutation: RateLimitBudget;
}

export type OperationKind = keyof RateLimitBudgets;

export interface RateLimitConfig {
  budgets: RateLimitBudgets;
  /**
   * How many gateway replicas of this client share Redis: while Redis is down each process falls back
   * to its own in-memory limiter with the budget divided by this, so the fleet stays near the budget.
   */
  replicas: number;
  redis: RedisConfig;
}

const positive = z.coerce.number().int().positive().optional();

const shape = z.object({
  RATE_LIMIT_ENABLED: z.enum(['true', 'false']).default('true'),
  RATE_LIMIT_QUERY_POINTS: positive,
  RATE_LIMIT_QUERY_WINDOW_SECONDS: positive,
  RATE_LIMIT_MUTATION_POINTS: positive,
  RATE_LIMIT_MUTATION_WINDOW_SECONDS: positive,
  RATE_LIMIT_REPLICAS: z.coerce.number().int().positive().default(1),
});

/** The budgets from a profile's defaults and env; null when `RATE_LIMIT_ENABLED=false`. */
export function rateLimitConfigFromEnv(defaults: RateLimitBudgets, redis: RedisConfig, env: NodeJS.ProcessEnv = process.env): RateLimitConfig | null {
  const parsed = shape.safeParse(env);
  if (!parsed.success) {
    throw new Error(`Invalid rate-limit configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const v = parsed.data;
  if (v.RATE_LIMIT_ENABLED === 'false') return null;
  return {
    budgets: {
      query: { points: v.RATE_LIMIT_QUERY_POINTS ?? defaults.query.points, windowSeconds: v.RATE_LIMIT_QUERY_WINDOW_SECONDS ?? defaults.query.windowSeconds },
      mutation: { points: v.RATE_LIMIT_MUTATION_POINTS ?? defaults.mutation.points, windowSeconds: v.RATE_LIMIT_MUTATION_WINDOW_SECONDS ?? defaults.mutation.windowSeconds },
    },
    replicas: v.RATE_LIMIT_REPLICAS,
    redis,
  };
}
