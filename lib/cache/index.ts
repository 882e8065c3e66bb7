// The gateways' caches, in Redis (shared by replicas) or in this process without REDIS_URL:
// - requestCaching.ts: one request's caching (its state, the response lookup, x-cache, the writes),
//   whole query responses keyed by operation and variables (+ user when PRIVATE), run by
//   responseCache.ts (Apollo's pipeline) or the gateway's known-query path;
// - fetchThroughCache.ts: sends each subgraph fetch of a plan, serving `_entities` fetches from
//   per-entity entries read in one MGET per fetch and storing what the subgraph answered;
// - fetchAnalysis.ts + tags.ts: rewrites every fetch's query to ask for the identity of the entities it returns, so
//   each entry is indexed under every entity it contains and a mutation or a domain event
//   (invalidation.ts) drops exactly the entries holding what changed (store.ts explains the index);
// - policy.ts: cache hints, from the subgraphs' `cache-control` headers or the BFF's own schema;
// - apq.ts: automatic persisted queries in the same store.
export {
  apqConfigFromEnv,
  DEFAULT_APQ_CONFIG,
  memoryPersistedQueryStore,
  persistedQueryRegistration,
  persistedQuerySizeGuard,
  persistedQueryStore,
  type ApqConfig,
  type PersistedQueryStore,
} from './apq.ts';
export { cacheConfigFromEnv, type CacheConfig } from './config.ts';
export { invalidationHandlers, startCacheInvalidation, tagsOfEvent } from './invalidation.ts';
export { cacheKeys } from './keys.ts';
export { localFetcher, type LocalFetch } from './localFetch.ts';
export { createMemoryStore } from './memoryStore.ts';
export { openCache } from './openCache.ts';
export { hintFromCacheControl, staticCachePolicy, type CacheHint, type RestrictablePolicy } from './policy.ts';
export { createRedisStore } from './redisStore.ts';
export { RequestCaching, type CachedOperation } from './requestCaching.ts';
export { RequestCacheState } from './requestState.ts';
export { responseCachePlugin } from './responseCache.ts';
export { createCacheRuntime, type CacheRuntime } from './runtime.ts';
export type { CacheStats, LayerStats } from './stats.ts';
export { StoreUnavailable, type CacheStore, type EntryWrite } from './store.ts';
export {
  fetchThroughCache,
  type FetchRequest,
  type FetchResponse,
  type SentFetch,
  type SubgraphFetch,
} from './fetchThroughCache.ts';
export { analyseFetch, type FetchAnalysis } from './fetchAnalysis.ts';
export { supergraphModel, type SupergraphModel } from './supergraphModel.ts';
export { collectTags, entityTag, TAG_FIELD_PREFIX } from './tags.ts';
