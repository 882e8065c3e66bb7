import type { ApolloServerPlugin } from '@apollo/server';
import { cacheKeys } from './keys.ts';
import type { CacheRuntime } from './runtime.ts';

/** Apollo Server's persisted-query cache interface (its keys are `apq:<sha256>`). */
export interface PersistedQueryStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options?: { ttl?: number | null }): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Waits for the registration of `queryHash` this process started, if any. */
  registered(queryHash: string): Promise<void>;
}

/**
 * Automatic persisted queries in the shared store, so a query registered through one replica runs
 * by its hash through any other. Fails open: with the store down a lookup misses (the client sends
 * the query text again, as the APQ protocol expects) and a registration is dropped.
 */
export function persistedQueryStore(runtime: CacheRuntime): PersistedQueryStore {
  const { stats } = runtime;
  const pending = new Map<string, Promise<void>>();
  const ttlMs = (ttl: number | null | undefined) => (ttl ? ttl : runtime.config.apqTtlSeconds) * 1000;
  return {
    async get(key) {
      try {
        const query = await runtime.store.get(cacheKeys.apq(runtime.keyPrefix, key));
        if (query === null) stats.apq.misses += 1;
        else stats.apq.hits += 1;
        return query ?? undefined;
      } catch (error) {
        runtime.failed('apq', error);
        return undefined;
      }
    },
    set(key, value, options) {
      const write = runtime.store
        .set(cacheKeys.apq(runtime.keyPrefix, key), value, ttlMs(options?.ttl))
        .catch((error: unknown) => runtime.failed('apq', error));
      const tracked = write.finally(() => {
        if (pending.get(key) === tracked) pending.delete(key);
      });
      pending.set(key, tracked);
      return tracked;
    },
    async delete(key) {
      try {
        return await runtime.store.delete(cacheKeys.apq(runtime.keyPrefix, key));
      } catch (error) {
        runtime.failed('apq', error);
        return false;
      }
    },
    async registered(queryHash) {
      await pending.get(`apq:${queryHash}`);
    },
  };
}

/**
 * Apollo Server registers a persisted query without waiting for the store; this holds the
 * registering response until the query is stored, so the client's next request by hash finds it
 * whichever replica it reaches.
 */
export function persistedQueryRegistration(store: PersistedQueryStore): ApolloServerPlugin {
  return {
    // eslint-disable-next-line @typescript-eslint/require-await -- Apollo's plugin API types this hook as returning a Promise
    async requestDidStart() {
      return {
        async willSendResponse({ metrics, queryHash }) {
          if (metrics.persistedQueryRegister && queryHash) await store.registered(queryHash);
        },
      };
    },
  };
}
