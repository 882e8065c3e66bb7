import { createHash } from 'node:crypto';
import { Cluster, type Redis } from 'ioredis';
import { cacheKeys } from './keys.ts';
import {
  entriesByTag,
  invalidatedSince,
  StoreUnavailable,
  TOMBSTONE_MS,
  type CacheStore,
  type EntryWrite,
} from './store.ts';

/**
 * Indexes entries under one tag and reads the tag's tombstone, in one step on the tag's slot.
 * KEYS: the index (a sorted set of entry keys scored by their expiry), the tombstone.
 * ARGV: now (ms), the index's time to live (ms), then expiry/entry-key pairs. Expired members are
 * pruned on the way, so an index never outgrows the entries alive under it.
 */
const INDEX_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
for i = 3, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], 'GT', ARGV[i], ARGV[i + 1])
end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return redis.call('GET', KEYS[2])
`;

/**
 * Invalidates one tag: records when (keeping the latest time if replicas' clocks differ), then
 * returns and drops the index. The caller deletes the entries, which may live on any slot.
 * KEYS: the index, the tombstone. ARGV: now (ms), the tombstone's time to live (ms).
 */
const INVALIDATE_SCRIPT = `
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
if previous < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
else
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
return members
`;

interface Script {
  body: string;
  sha: string;
}

const script = (body: string): Script => ({ body, sha: createHash('sha1').update(body).digest('hex') });
const INDEX = script(INDEX_SCRIPT);
const INVALIDATE = script(INVALIDATE_SCRIPT);

/** After a failed command the store is skipped this long, so a stalled Redis costs a request one timeout, not one per command. */
const PAUSE_AFTER_ERROR_MS = 1000;

export interface RedisStoreDeps {
  client: Redis | Cluster;
  keyPrefix: string;
  /** True when commands can be sent now (the offline queue is off: anything else fails fast). */
  isReady(): boolean;
  /** Clock difference tolerated between the replicas that read and invalidate (see invalidatedSince). */
  clockSkewMs: number;
  now?: () => number;
}

/**
 * The store on Redis or a Redis Cluster. Multi-key commands only ever name keys of one hash slot
 * (MGET of one shape's entities, each tag's script), so nothing fails with CROSSSLOT; entries
 * found through a tag index are deleted one command each on a cluster (they live on any slot).
 */
export function createRedisStore(deps: RedisStoreDeps): CacheStore {
  const { client, keyPrefix } = deps;
  const now = deps.now ?? Date.now;
  const clustered = client instanceof Cluster;
  let pausedUntil = 0;
  let roundTrips = 0;

  async function run<T>(work: () => Promise<T>): Promise<T> {
    if (!deps.isReady()) throw new StoreUnavailable('not connected');
    if (now() < pausedUntil) throw new StoreUnavailable('paused after a failure');
    roundTrips += 1;
    try {
      return await work();
    } catch (error) {
      pausedUntil = now() + PAUSE_AFTER_ERROR_MS;
      throw error;
    }
  }

  async function evalScript(s: Script, keys: string[], args: Array<string | number>): Promise<unknown> {
    try {
      return await client.evalsha(s.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
      return client.eval(s.body, keys.length, ...keys, ...args);
    }
  }

  async function deleteKeys(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    if (!clustered) return client.unlink(...keys);
    const counts = await Promise.all(keys.map((key) => client.unlink(key)));
    return counts.reduce((a, b) => a + b, 0);
  }

  return {
    kind: 'redis',
    get roundTrips() {
      return roundTrips;
    },
    async mget(keys) {
      if (keys.length === 0) return [];
      return run(() => client.mget(...keys));
    },
    async write(entries: readonly EntryWrite[]) {
      if (entries.length === 0) return 0;
      await run(() =>
        Promise.all(entries.map((e) => client.set(e.key, e.value, 'PX', Math.max(1, Math.round(e.ttlMs))))),
      );
      const t = now();
      const byTag = [...entriesByTag(entries, t)];
      // Only after the entries are stored: an invalidation that runs from here on finds them in the index.
      const tombstones = await run(() =>
        Promise.all(
          byTag.map(([tag, index]) =>
            evalScript(
              INDEX,
              [cacheKeys.tag(keyPrefix, tag), cacheKeys.tombstone(keyPrefix, tag)],
              [
                t,
                Math.round(index.ttlMs),
                ...index.members.flatMap(([expiry, member]) => [Math.round(expiry), member]),
              ],
            ),
          ),
        ),
      );
      const invalidatedAt = new Map(byTag.map(([tag], i) => [tag, tombstones[i]]));
      const stale = entries.filter((e) =>
        e.tags.some((tag) => invalidatedSince(toTombstone(invalidatedAt.get(tag)), e.readAt, deps.clockSkewMs)),
      );
      if (stale.length) await run(() => deleteKeys(stale.map((e) => e.key)));
      return entries.length - stale.length;
    },
    async invalidate(tags) {
      if (tags.length === 0) return 0;
      const t = now();
      const indexes = await run(() =>
        Promise.all(
          tags.map((tag) =>
            evalScript(
              INVALIDATE,
              [cacheKeys.tag(keyPrefix, tag), cacheKeys.tombstone(keyPrefix, tag)],
              [t, TOMBSTONE_MS],
            ),
          ),
        ),
      );
      const members = [
        ...new Set(
          indexes.flatMap((m) => (Array.isArray(m) ? m.filter((k): k is string => typeof k === 'string') : [])),
        ),
      ];
      return members.length ? run(() => deleteKeys(members)) : 0;
    },
    async get(key) {
      return run(() => client.get(key));
    },
    async set(key, value, ttlMs) {
      await run(() => client.set(key, value, 'PX', Math.max(1, Math.round(ttlMs))));
    },
    async delete(key) {
      return (await run(() => client.unlink(key))) > 0;
    },
  };
}

function toTombstone(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
