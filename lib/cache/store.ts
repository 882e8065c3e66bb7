/** One entry to write: its value, how long it lives, the tags it is indexed under. */
export interface EntryWrite {
  key: string;
  value: string;
  ttlMs: number;
  tags: readonly string[];
  /**
   * When the data in it was read from its source (ms since the epoch). An entry whose tag was
   * invalidated at or after that moment holds data older than the invalidation and is dropped again.
   */
  readAt: number;
}

/**
 * Where the caches keep entries: Redis (one node or a cluster, shared by every replica) or this
 * process's memory (single-process development), behind one interface.
 *
 * Invalidation is by tag (`Product:<id>`): each tag has an index of the entries that contain it and
 * a tombstone holding when it was last invalidated. Invalidating sets the tombstone, then deletes
 * the indexed entries. Writing stores the entries, then indexes them and reads the tombstones; an
 * entry whose tag was invalidated after its data was read is deleted again. Whichever order a
 * concurrent read and an invalidation take, the stale entry cannot survive: either the
 * invalidation finds it in the index, or the writer finds the tombstone.
 */
export interface CacheStore {
  readonly kind: 'redis' | 'memory';
  /** Values of keys that share one hash slot, in one round trip; null where a key is missing. */
  mget(keys: readonly string[]): Promise<Array<string | null>>;
  /** Writes entries; returns how many were kept (the rest met a newer invalidation). */
  write(entries: readonly EntryWrite[]): Promise<number>;
  /** Removes every entry indexed under any of the tags; returns how many entries were deleted. */
  invalidate(tags: readonly string[]): Promise<number>;
  /** One plain value (persisted queries). */
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Round trips to the store so far (for measurements). */
  readonly roundTrips: number;
}

/** The store cannot be used right now (Redis down, or paused after a failure): callers go uncached. */
export class StoreUnavailable extends Error {
  constructor(reason: string) {
    super(`cache store unavailable: ${reason}`);
    this.name = 'StoreUnavailable';
  }
}

/** How long an invalidation's tombstone is kept: longer than any read that could still be writing. */
export const TOMBSTONE_MS = 120_000;
/**
 * Whether an invalidation (its tombstone's time) may have come after the read of an entry's data.
 * Read time and tombstone come from the clocks of possibly different replicas: `clockSkewMs` is
 * the difference tolerated, so a read that started up to that long after an invalidation is
 * treated as older and not cached (a cost paid only by entities invalidated that recently).
 */
export function invalidatedSince(
  tombstone: string | number | null | undefined,
  readAt: number,
  clockSkewMs: number,
): boolean {
  if (tombstone === null || tombstone === undefined) return false;
  return Number(tombstone) >= readAt - clockSkewMs;
}

/** Each distinct tag with the entries indexed under it and the latest expiry among them. */
export function entriesByTag(
  entries: readonly EntryWrite[],
  now: number,
): Map<string, { members: Array<[number, string]>; ttlMs: number }> {
  const byTag = new Map<string, { members: Array<[number, string]>; ttlMs: number }>();
  for (const entry of entries) {
    for (const tag of entry.tags) {
      const index = byTag.get(tag) ?? { members: [], ttlMs: 0 };
      index.members.push([now + entry.ttlMs, entry.key]);
      index.ttlMs = Math.max(index.ttlMs, entry.ttlMs);
      byTag.set(tag, index);
    }
  }
  return byTag;
}
