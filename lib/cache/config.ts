import { z } from 'zod';
import { eventsConfigFromEnv, type EventsConfig } from '../events/index.ts';
import type { RedisConfig } from '../redis/index.ts';

export interface CacheConfig {
  /** Response and entity caches, and their invalidation; APQ uses the store either way. */
  enabled: boolean;
  /**
   * Whole responses cached too (with `enabled`); false keeps the entity cache alone, so every request
   * runs its plan and only entities repeated across requests and users are saved.
   */
  responses: boolean;
  redis: RedisConfig;
  /** How long past its maxAge an entity allowed to (`@staleIfError`) keeps a stale copy. */
  staleIfErrorSeconds: number;
  /** Upper bound on any entry's maxAge, whatever a hint says. */
  maxTtlSeconds: number;
  /** How long a registered automatic persisted query is kept. */
  apqTtlSeconds: number;
  /**
   * How far apart replicas' clocks may be: an entry read within this long after an invalidation of
   * one of its entities is not cached, since it might hold data from before it (0 on one host).
   */
  clockSkewMs: number;
  /** Delivery settings of the domain events that invalidate entries. */
  events: EventsConfig;
  /**
   * Bytes of response entries the fast path holds in memory (lib/gateway/heldEntries.ts): a hit on
   * an entry it holds, still the stored one, is not sent by Redis again. 0 holds none.
   */
  fastPathCopyBytes: number;
}

const seconds = z.coerce.number().int().min(0);

const shape = z.object({
  CACHE_ENABLED: z.enum(['true', 'false']).default('true'),
  CACHE_RESPONSES: z.enum(['true', 'false']).default('true'),
  CACHE_STALE_IF_ERROR_SECONDS: seconds.default(300),
  CACHE_MAX_TTL_SECONDS: seconds.min(1).default(3600),
  CACHE_APQ_TTL_SECONDS: seconds.min(1).default(86_400),
  CACHE_CLOCK_SKEW_MS: z.coerce.number().int().min(0).max(60_000).default(100),
  CACHE_FAST_PATH_COPIES_MB: z.coerce.number().min(0).max(4096).default(32),
});

/** Read once per process; a bad value stops the start with the variable's name. */
export function cacheConfigFromEnv(redis: RedisConfig, env: NodeJS.ProcessEnv = process.env): CacheConfig {
  const parsed = shape.safeParse(env);
  if (!parsed.success) {
    throw new Error(
      `Invalid cache configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const c = parsed.data;
  return {
    enabled: c.CACHE_ENABLED === 'true',
    responses: c.CACHE_RESPONSES === 'true',
    redis,
    staleIfErrorSeconds: c.CACHE_STALE_IF_ERROR_SECONDS,
    maxTtlSeconds: c.CACHE_MAX_TTL_SECONDS,
    apqTtlSeconds: c.CACHE_APQ_TTL_SECONDS,
    clockSkewMs: c.CACHE_CLOCK_SKEW_MS,
    events: eventsConfigFromEnv(env),
    fastPathCopyBytes: Math.floor(c.CACHE_FAST_PATH_COPIES_MB * 1024 * 1024),
  };
}
