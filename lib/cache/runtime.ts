import type { Logger } from '../observability/index.ts';
import type { CacheConfig } from './config.ts';
import type { CacheScope } from './keys.ts';
import { fetchAnalyser, type FetchAnalysis } from './fetchAnalysis.ts';
import { RequestCaching } from './requestCaching.ts';
import { emptyStats, type CacheStats } from './stats.ts';
import { StoreUnavailable, type CacheStore, type EntryWrite } from './store.ts';
import type { SupergraphModel } from './supergraphModel.ts';

export interface CacheRuntimeDeps {
  /** The gateway's name: response entries of web and mobile never mix. */
  gateway: string;
  config: CacheConfig;
  store: CacheStore;
  /** The Redis key prefix every cache key starts with. */
  keyPrefix: string;
  model: SupergraphModel;
  logger: Logger;
}

export type CacheLayer = 'response' | 'entity' | 'apq' | 'invalidation';

/**
 * What every part of the gateway's caches shares: the store, the supergraph model, the counters,
 * and the one way to fail open (a store error is counted, logged once per new reason, and the
 * request carries on uncached).
 */
export interface CacheRuntime extends CacheRuntimeDeps {
  stats: CacheStats;
  analyse(subgraph: string, query: string): FetchAnalysis;
  /** Counts and logs a store failure of `layer`; the caller then goes on without the cache. */
  failed(layer: CacheLayer, error: unknown): void;
  /** Writes entries (one batch per request), counting them by layer; never throws. */
  write(entries: readonly EntryWrite[], layers: { response: number; entity: number }): Promise<void>;
  /** Drops every entry tagged with one of `tags`: how many, or null when the store failed (never throws). */
  invalidate(tags: readonly string[], reason: 'mutation' | 'event'): Promise<number | null>;
  /**
   * The scopes a subgraph has answered an entity selection (its digest) in, cacheably, since this
   * process started; undefined before its first such answer. Subgraphs' hints are static, so an
   * entity fetch need not read a variant nobody has written (a hint that changes adds its scope).
   */
  scopesSeen(subgraph: string, selection: string): ReadonlySet<CacheScope> | undefined;
  sawScope(subgraph: string, selection: string, scope: CacheScope): void;
  /**
   * The caches' work for one request of `userId` (null: anonymous), started by whichever path runs
   * it before anything is fetched: its subgraph fetches read and add to the unit's state.
   */
  startRequest(userId: string | null): RequestCaching;
}

/** Entity selections whose scopes are remembered (the oldest forgotten first: it is then read in both again). */
const SCOPE_MEMORY = 5000;

export function createCacheRuntime(deps: CacheRuntimeDeps): CacheRuntime {
  const stats = emptyStats();
  const scopes = new Map<string, Set<CacheScope>>();
  const analysers = new Map<string, (query: string) => FetchAnalysis>();
  let lastFailure = '';
  const failed = (layer: CacheLayer, error: unknown) => {
    if (layer === 'invalidation') stats.invalidation.errors += 1;
    else stats[layer].errors += 1;
    const reason = error instanceof Error ? error.message : String(error);
    // A dead Redis fails every lookup the same way: one line per new reason, not one per request.
    if (reason !== lastFailure) {
      if (error instanceof StoreUnavailable)
        deps.logger.warn({ layer, reason }, 'cache store unavailable; serving uncached');
      else deps.logger.error({ layer, err: error }, 'cache store failed; serving uncached');
    }
    lastFailure = reason;
  };
  const succeeded = () => {
    if (lastFailure) deps.logger.info('cache store available again');
    lastFailure = '';
  };
  const runtime: CacheRuntime = {
    ...deps,
    stats,
    startRequest: (userId) => new RequestCaching(runtime, userId),
    analyse(subgraph, query) {
      let analyse = analysers.get(subgraph);
      if (!analyse) {
        analyse = fetchAnalyser(deps.model, subgraph);
        analysers.set(subgraph, analyse);
      }
      return analyse(query);
    },
    failed,
    scopesSeen: (subgraph, selection) => scopes.get(`${subgraph}\n${selection}`),
    sawScope(subgraph, selection, scope) {
      const key = `${subgraph}\n${selection}`;
      const seen = scopes.get(key);
      if (seen) {
        seen.add(scope);
        return;
      }
      if (scopes.size >= SCOPE_MEMORY) scopes.delete(scopes.keys().next().value ?? '');
      scopes.set(key, new Set([scope]));
    },
    async write(entries, layers) {
      if (entries.length === 0) return;
      try {
        const kept = await deps.store.write(entries);
        stats.raced += entries.length - kept;
        stats.response.writes += layers.response;
        stats.entity.writes += layers.entity;
        succeeded();
      } catch (error) {
        if (layers.response) failed('response', error);
        if (layers.entity) failed('entity', error);
      }
    },
    async invalidate(tags, reason) {
      if (tags.length === 0) return 0;
      try {
        const entries = await deps.store.invalidate(tags);
        stats.invalidation[reason === 'mutation' ? 'mutations' : 'events'] += 1;
        stats.invalidation.tags += tags.length;
        stats.invalidation.entries += entries;
        succeeded();
        return entries;
      } catch (error) {
        failed('invalidation', error);
        return null;
      }
    },
  };
  return runtime;
}
