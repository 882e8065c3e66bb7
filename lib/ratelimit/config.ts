import { z } from 'zod';
import type { RedisConfig } from '../redis/index.ts';

/** `points` per window of `windowSeconds`: cost points for queries, a count for mutations and fields. */
export interface RateLimitBudget {
  points: number;
  windowSeconds: number;
}

/**
 * A client's budgets (profile defaults, env overrides). Queries spend their static cost
 * (lib/graphql/cost.ts), so aliases and large pages spend more; mutations spend one per root field.
 */
export interface RateLimitBudgets {
  query: RateLimitBudget;
  mutation: RateLimitBudget;
  /**
   * Tighter budgets of single fields for this client, by schema coordinate (`Mutation.checkout`):
   * each occurrence of the field in an operation spends 1, in the same admission as the operation's
   * budget. Fields the schema marks with `@rateLimit` have budgets of their own beside these.
   */
  fields?: Record<string, RateLimitBudget>;
  /**
   * Automatic persisted-query registrations per caller: each request that registers a query text
   * spends 1, beside its operation's cost, so one caller cannot fill the store with distinct texts.
   */
  registrations?: RateLimitBudget;
}

/** Registrations a caller may make by default (RATE_LIMIT_APQ_*): a web app registers its few dozen operations once. */
export const DEFAULT_REGISTRATION_BUDGET: RateLimitBudget = { points: 30, windowSeconds: 60 };

export type OperationKind = 'query' | 'mutation';

export interface RateLimitConfig {
  budgets: RateLimitBudgets;
  /**
   * Operations selecting one of these fields (schema coordinates) are refused with
   * SERVICE_UNAVAILABLE while Redis is unreachable, instead of being admitted on the per-process
   * insurance limiter: for fields where too many is worse than none (`Mutation.checkout`). Fields
   * marked `@rateLimit(failClosed: true)` join them.
   */
  failClosedFields?: string[];
  /**
   * How many gateway replicas of this client share Redis: while Redis is down each process falls back
   * to its own in-memory limiter with the budget divided by this, so the fleet stays near the budget.
   */
  replicas: number;
  redis: RedisConfig;
}

/** What a gateway profile sets: its budgets and the fields that fail closed. */
export interface RateLimitDefaults {
  budgets: RateLimitBudgets;
  failClosedFields: string[];
}

/** The root field `checkout` gets the budget RATE_LIMIT_CHECKOUT_* set. */
export const CHECKOUT_FIELD = 'Mutation.checkout';

const COORDINATE = /^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/;

export function isSchemaCoordinate(value: string): boolean {
  return COORDINATE.test(value);
}

const positive = z.coerce.number().int().positive().optional();
const shape = z.object({
  RATE_LIMIT_ENABLED: z.enum(['true', 'false']).default('true'),
  RATE_LIMIT_QUERY_POINTS: positive,
  RATE_LIMIT_QUERY_WINDOW_SECONDS: positive,
  RATE_LIMIT_MUTATION_POINTS: positive,
  RATE_LIMIT_MUTATION_WINDOW_SECONDS: positive,
  RATE_LIMIT_CHECKOUT_POINTS: positive,
  RATE_LIMIT_CHECKOUT_WINDOW_SECONDS: positive,
  RATE_LIMIT_APQ_POINTS: positive,
  RATE_LIMIT_APQ_WINDOW_SECONDS: positive,
  RATE_LIMIT_FAIL_CLOSED_FIELDS: z
    .string()
    .transform((list) =>
      list
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .refine((fields) => fields.every(isSchemaCoordinate), 'expected a comma-separated list of Type.field')
    .optional(),
  RATE_LIMIT_REPLICAS: z.coerce.number().int().positive().default(1),
});

/** The budgets from a profile's defaults and env; null when `RATE_LIMIT_ENABLED=false`. */
export function rateLimitConfigFromEnv(
  defaults: RateLimitDefaults,
  redis: RedisConfig,
  env: NodeJS.ProcessEnv = process.env,
): RateLimitConfig | null {
  const parsed = shape.safeParse(env);
  if (!parsed.success) {
    throw new Error(
      `Invalid rate-limit configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const v = parsed.data;
  if (v.RATE_LIMIT_ENABLED === 'false') return null;
  const { query, mutation, fields = {}, registrations = DEFAULT_REGISTRATION_BUDGET } = defaults.budgets;
  const checkout = fields[CHECKOUT_FIELD];
  const checkoutPoints = v.RATE_LIMIT_CHECKOUT_POINTS ?? checkout?.points;
  return {
    budgets: {
      query: {
        points: v.RATE_LIMIT_QUERY_POINTS ?? query.points,
        windowSeconds: v.RATE_LIMIT_QUERY_WINDOW_SECONDS ?? query.windowSeconds,
      },
      mutation: {
        points: v.RATE_LIMIT_MUTATION_POINTS ?? mutation.points,
        windowSeconds: v.RATE_LIMIT_MUTATION_WINDOW_SECONDS ?? mutation.windowSeconds,
      },
      registrations: {
        points: v.RATE_LIMIT_APQ_POINTS ?? registrations.points,
        windowSeconds: v.RATE_LIMIT_APQ_WINDOW_SECONDS ?? registrations.windowSeconds,
      },
      fields: {
        ...fields,
        ...(checkoutPoints === undefined
          ? {}
          : {
              [CHECKOUT_FIELD]: {
                points: checkoutPoints,
                windowSeconds:
                  v.RATE_LIMIT_CHECKOUT_WINDOW_SECONDS ?? checkout?.windowSeconds ?? mutation.windowSeconds,
              },
            }),
      },
    },
    failClosedFields: v.RATE_LIMIT_FAIL_CLOSED_FIELDS ?? defaults.failClosedFields,
    replicas: v.RATE_LIMIT_REPLICAS,
    redis,
  };
}
