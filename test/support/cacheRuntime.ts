import { readFileSync } from 'node:fs';
import { gatewaySupergraphPath } from '../../lib/composition.ts';
import {
  createCacheRuntime,
  createMemoryStore,
  supergraphModel,
  type CacheConfig,
  type CacheRuntime,
} from '../../lib/cache/index.ts';
import { eventsConfigFromEnv } from '../../lib/events/index.ts';
import { silentLogger } from '../../lib/observability/index.ts';

const model = supergraphModel(readFileSync(gatewaySupergraphPath('web'), 'utf8'));

/** The web gateway's caches on the in-process store (key prefix `t:`), for unit tests of the cache's parts. */
export function memoryCacheRuntime(overrides: Partial<CacheConfig> = {}): CacheRuntime {
  return createCacheRuntime({
    gateway: 'web',
    config: {
      enabled: true,
      responses: true,
      redis: { kind: 'memory', keyPrefix: 't:' },
      staleIfErrorSeconds: 300,
      maxTtlSeconds: 3600,
      apqTtlSeconds: 60,
      clockSkewMs: 0,
      events: eventsConfigFromEnv({}),
      fastPathCopyBytes: 0,
      ...overrides,
    },
    store: createMemoryStore(),
    keyPrefix: 't:',
    model,
    logger: silentLogger(),
  });
}
