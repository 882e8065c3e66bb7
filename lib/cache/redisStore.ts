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

/**
 * A whole write on one Redis node, atomically: stores the entries, indexes each under its tags
 * (pruning expired members and extending the index's life as INDEX_SCRIPT does), reads the tags'
 * tombstones and deletes again every entry one of its tags was invalidated since its data was read.
 * One command instead of a SET per entry and a script per tag: a dashboard's write is dozens of them.
 * KEYS: the entries, then index and tombstone per tag. ARGV: entry count, tag count, now (ms), the
 * clock skew tolerated (ms), then per entry value, time to live (ms), read time (ms), then per tag
 * the index's time to live and how many entries it holds, followed by their positions (1-based).
 * Returns how many entries were kept.
 */
const WRITE_SCRIPT = `
local entries = tonumber(ARGV[1])
local tags = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local skew = tonumber(ARGV[4])
local a = 5
local expiry, readAt, stale = {}, {}, {}
for i = 1, entries do
  redis.call('SET', KEYS[i], ARGV[a], 'PX', ARGV[a + 1])
  expiry[i] = now + tonumber(ARGV[a + 1])
  readAt[i] = tonumber(ARGV[a + 2])
  a = a + 3
end
for t = 1, tags do
  local index = KEYS[entries + 2 * t - 1]
  local ttl = tonumber(ARGV[a])
  local count = tonumber(ARGV[a + 1])
  redis.call('ZREMRANGEBYSCORE', index, '-inf', now)
  local tombstone = tonumber(redis.call('GET', KEYS[entries + 2 * t]) or '-1')
  for j = 1, count do
    local i = tonumber(ARGV[a + 1 + j])
    redis.call('ZADD', index, 'GT', expiry[i], KEYS[i])
    if tombstone >= 0 and tombstone >= readAt[i] - skew then stale[i] = true end
  end
  if redis.call('PTTL', index) < ttl then
    redis.call('PEXPIRE', index, ttl)
  end
  a = a + 2 + count
end
local kept = entries
for i = 1, entries do
  if stale[i] then
    redis.call('UNLINK', KEYS[i])
    kept = kept - 1
  end
end
return kept
`;

interface Script {
  body: string;
  sha: string;
}

const script = (body: string): Script => ({ body, sha: createHash('sha1').update(body).digest('hex') });
const INDEX = script(INDEX_SCRIPT);
const INVALIDATE = script(INVALIDATE_SCRIPT);
const WRITE = script(WRITE_SCRIPT);

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

  /** The whole write in one script: every key is on this one node (see WRITE_SCRIPT). */
  async function writeOnOneNode(entries: readonly EntryWrite[]): Promise<number> {
    const t = now();
    const position = new Map(entries.map((e, i) => [e, i + 1]));
    const byTag = new Map<string, { entries: EntryWrite[]; ttlMs: number }>();
    for (const entry of entries)
      for (const tag of new Set(entry.tags)) {
        const index = byTag.get(tag) ?? { entries: [], ttlMs: 0 };
        index.entries.push(entry);
        index.ttlMs = Math.max(index.ttlMs, entry.ttlMs);
        byTag.set(tag, index);
      }
    const keys: string[] = entries.map((e) => e.key);
    const args: Array<string | number> = [entries.length, byTag.size, t, deps.clockSkewMs];
    for (const e of entries) args.push(e.value, Math.max(1, Math.round(e.ttlMs)), Math.round(e.readAt));
    for (const [tag, index] of byTag) {
      keys.push(cacheKeys.tag(keyPrefix, tag), cacheKeys.tombstone(keyPrefix, tag));
      args.push(Math.round(index.ttlMs), index.entries.length, ...index.entries.map((e) => position.get(e) as number));
    }
    const kept = await run(() => evalScript(WRITE, keys, args));
    return Number(kept);
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
      if (!clustered) return writeOnOneNode(entries);
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
