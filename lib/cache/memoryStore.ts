import { entriesByTag, invalidatedSince, TOMBSTONE_MS, type CacheStore, type EntryWrite } from './store.ts';

interface Held {
  value: string;
  expiresAt: number;
}

/** Sweep expired entries once this many writes have happened since the last sweep. */
const SWEEP_EVERY = 1000;

/**
 * The store without Redis (no REDIS_URL): the same semantics as Redis in this process's memory.
 * Replicas would not share it, so it is for single-process development only.
 */
export function createMemoryStore(options: { clockSkewMs?: number; now?: () => number } = {}): CacheStore {
  const now = options.now ?? Date.now;
  const clockSkewMs = options.clockSkewMs ?? 0;
  const entries = new Map<string, Held>();
  const indexes = new Map<string, Map<string, number>>();
  const tombstones = new Map<string, Held>();
  let writes = 0;
  let roundTrips = 0;

  const read = (map: Map<string, Held>, key: string): string | null => {
    const held = map.get(key);
    if (!held) return null;
    if (held.expiresAt <= now()) {
      map.delete(key);
      return null;
    }
    return held.value;
  };
  const sweep = () => {
    const t = now();
    for (const [key, held] of entries) if (held.expiresAt <= t) entries.delete(key);
    for (const [key, held] of tombstones) if (held.expiresAt <= t) tombstones.delete(key);
    for (const [tag, members] of indexes) {
      for (const [member, expiresAt] of members) if (expiresAt <= t) members.delete(member);
      if (members.size === 0) indexes.delete(tag);
    }
  };

  // The store interface is asynchronous (Redis); this one answers at once, and async keeps a throw a rejection.
  /* eslint-disable @typescript-eslint/require-await */
  return {
    kind: 'memory',
    get roundTrips() {
      return roundTrips;
    },
    async mget(keys) {
      roundTrips += 1;
      return keys.map((key) => read(entries, key));
    },
    async write(batch: readonly EntryWrite[]) {
      roundTrips += 1;
      const t = now();
      writes += batch.length;
      if (writes >= SWEEP_EVERY) {
        writes = 0;
        sweep();
      }
      let kept = 0;
      for (const entry of batch) {
        if (entry.tags.some((tag) => invalidatedSince(read(tombstones, tag), entry.readAt, clockSkewMs))) continue;
        entries.set(entry.key, { value: entry.value, expiresAt: t + entry.ttlMs });
        kept += 1;
      }
      for (const [tag, { members }] of entriesByTag(batch, t)) {
        const index = indexes.get(tag) ?? new Map<string, number>();
        for (const [expiresAt, member] of members) index.set(member, Math.max(index.get(member) ?? 0, expiresAt));
        indexes.set(tag, index);
      }
      return kept;
    },
    async invalidate(tags) {
      roundTrips += 1;
      const t = now();
      let deleted = 0;
      for (const tag of tags) {
        tombstones.set(tag, { value: String(t), expiresAt: t + TOMBSTONE_MS });
        for (const member of indexes.get(tag)?.keys() ?? []) if (entries.delete(member)) deleted += 1;
        indexes.delete(tag);
      }
      return deleted;
    },
    async get(key) {
      roundTrips += 1;
      return read(entries, key);
    },
    async set(key, value, ttlMs) {
      roundTrips += 1;
      entries.set(key, { value, expiresAt: now() + ttlMs });
    },
    async delete(key) {
      roundTrips += 1;
      return entries.delete(key);
    },
  };
  /* eslint-enable @typescript-eslint/require-await */
}
