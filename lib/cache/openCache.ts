import type { Logger } from '../observability/index.ts';
import type { RedisConnection } from '../redis/index.ts';
import type { CacheConfig } from './config.ts';
import { createMemoryStore } from './memoryStore.ts';
import { createRedisStore } from './redisStore.ts';
import { createCacheRuntime, type CacheRuntime } from './runtime.ts';
import { supergraphModel } from './supergraphModel.ts';

/** A gateway's caches over its Redis connection, or over this process's memory without Redis. */
export function openCache(options: {
  gateway: string;
  config: CacheConfig;
  connection: RedisConnection;
  supergraphSdl: string;
  logger: Logger;
}): CacheRuntime {
  const { connection } = options;
  const { clockSkewMs } = options.config;
  // One process, one clock: the in-process store needs no allowance.
  const store = connection.client
    ? createRedisStore({
        client: connection.client,
        keyPrefix: connection.keyPrefix,
        isReady: () => connection.isReady(),
        clockSkewMs,
      })
    : createMemoryStore();
  return createCacheRuntime({
    gateway: options.gateway,
    config: options.config,
    store,
    keyPrefix: connection.keyPrefix,
    model: supergraphModel(options.supergraphSdl),
    logger: options.logger,
  });
}
