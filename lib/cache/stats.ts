/** Lookups of one cache layer: a hit served from the cache, a miss went to the source, an error skipped the cache. */
export interface LayerStats {
  hits: number;
  misses: number;
  errors: number;
}

/** The gateway's cache counters (`RunningGateway.cacheStats()`), per layer since the process started. */
export interface CacheStats {
  /** Whole responses (operation, variables, and the user for private ones). */
  response: LayerStats & { writes: number };
  /** Entities of `_entities` fetches, counted per distinct representation. */
  entity: LayerStats & {
    writes: number;
    /** Entities served from a stale copy because their subgraph failed. */
    stale: number;
    /** Representations not sent because an identical one was in the same fetch. */
    deduplicated: number;
  };
  /** Entries dropped by tag: after mutations, and on domain events. */
  invalidation: { mutations: number; events: number; tags: number; entries: number; errors: number };
  /** Automatic persisted queries in the shared store. */
  apq: LayerStats;
  /** Entries written and then dropped again because an invalidation overtook the read they came from. */
  raced: number;
  /** Round trips to the store (a pipeline of concurrent commands counts once). */
  roundTrips: number;
}

export function emptyStats(): CacheStats {
  return {
    response: { hits: 0, misses: 0, errors: 0, writes: 0 },
    entity: { hits: 0, misses: 0, errors: 0, writes: 0, stale: 0, deduplicated: 0 },
    invalidation: { mutations: 0, events: 0, tags: 0, entries: 0, errors: 0 },
    apq: { hits: 0, misses: 0, errors: 0 },
    raced: 0,
    roundTrips: 0,
  };
}
