import type { EntryWrite } from './store.ts';

/** What one request learned about caching while it ran; its `RequestCaching` owns it. */
export class RequestCacheState {
  readonly startedAt = Date.now();
  /** Every entity the response contains (sent as representations, returned, or read from the entity cache). */
  readonly tags = new Set<string>();
  /**
   * Entities being resolved by a fetch of this request, by entry key (shape and representation):
   * another fetch of the same request wanting one waits for it instead of fetching it again.
   */
  readonly inflight = new Map<string, Promise<{ data: unknown; failed: boolean }>>();
  /** Entity entries to write once the response is known (one batch per request). */
  readonly entityWrites: EntryWrite[] = [];
  responseHit = false;
  entityHits = 0;
  entityMisses = 0;
  /** Some entities came from stale copies: the response says so and is not cached. */
  stale = false;

  /** `x-cache`: hit (response cache, or every entity from cache), partial (some entities), miss. */
  status(): 'hit' | 'partial' | 'miss' {
    if (this.responseHit) return 'hit';
    if (this.entityHits > 0) return this.entityMisses === 0 ? 'hit' : 'partial';
    return 'miss';
  }
}
