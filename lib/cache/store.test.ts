import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeys, TEST_REDIS_URL, uniqueKeyPrefix } from '../../test/support/redis.ts';
import { createMemoryStore } from './memoryStore.ts';
import { createRedisStore } from './redisStore.ts';
import { StoreUnavailable, type CacheStore, type EntryWrite } from './store.ts';

const CLOCK_SKEW_MS = 200;

const PREFIX = uniqueKeyPrefix('cache-store');
let client: Redis;

beforeAll(async () => {
  client = new Redis(TEST_REDIS_URL, { enableOfflineQueue: false, commandTimeout: 5000 });
  await new Promise((resolve) => client.once('ready', resolve));
});

afterAll(async () => {
  await deleteKeys(client, PREFIX);
  client.disconnect();
});

const entry = (key: string, tags: string[], readAt = Date.now(), ttlMs = 60_000): EntryWrite => ({
  key: `${PREFIX}${key}`,
  value: `value of ${key}`,
  ttlMs,
  tags,
  readAt,
});

describe.each([
  ['in-process', () => createMemoryStore({ clockSkewMs: CLOCK_SKEW_MS })],
  [
    'Redis',
    () =>
      createRedisStore({
        client,
        keyPrefix: PREFIX,
        isReady: () => client.status === 'ready',
        clockSkewMs: CLOCK_SKEW_MS,
      }),
  ],
] as const)('the %s store', (_name, open) => {
  let store: CacheStore;
  beforeAll(() => {
    store = open();
  });

  it('drops exactly the entries tagged with an invalidated entity, and nothing else', async () => {
    const run = Math.random().toString(36).slice(2);
    await store.write([
      entry(`${run}:catalog`, [`Product:a${run}`, `Product:b${run}`]),
      entry(`${run}:product-a`, [`Product:a${run}`]),
      entry(`${run}:product-b`, [`Product:b${run}`]),
    ]);
    const keys = [`${run}:catalog`, `${run}:product-a`, `${run}:product-b`].map((k) => `${PREFIX}${k}`);
    expect(await store.mget(keys)).toEqual([
      `value of ${run}:catalog`,
      `value of ${run}:product-a`,
      `value of ${run}:product-b`,
    ]);
    expect(await store.invalidate([`Product:a${run}`])).toBe(2);
    expect(await store.mget(keys)).toEqual([null, null, `value of ${run}:product-b`]);
    // Idempotent: invalidating again finds nothing more to delete.
    expect(await store.invalidate([`Product:a${run}`])).toBe(0);
  });

  it('drops an entry whose data was read before its entity was invalidated, keeps one read after', async () => {
    const run = Math.random().toString(36).slice(2);
    const readBefore = Date.now() - 5 * CLOCK_SKEW_MS;
    await store.invalidate([`User:${run}`]);
    expect(
      await store.write([
        entry(`${run}:old`, [`User:${run}`], readBefore),
        entry(`${run}:untouched`, [`User:other${run}`], readBefore),
      ]),
    ).toBe(1);
    expect(await store.mget([`${PREFIX}${run}:old`])).toEqual([null]);
    expect(await store.mget([`${PREFIX}${run}:untouched`])).toEqual([`value of ${run}:untouched`]);
    const readAfter = Date.now() + 2 * CLOCK_SKEW_MS;
    expect(await store.write([entry(`${run}:new`, [`User:${run}`], readAfter)])).toBe(1);
    expect(await store.mget([`${PREFIX}${run}:new`])).toEqual([`value of ${run}:new`]);
  });

  it('drops, in one write, only the entries read before one of their tags was invalidated', async () => {
    const run = Math.random().toString(36).slice(2);
    await store.invalidate([`Order:${run}`]);
    const readBefore = Date.now() - 5 * CLOCK_SKEW_MS;
    const readAfter = Date.now() + 2 * CLOCK_SKEW_MS;
    // The response and one entity share the invalidated tag; the other entity shares only a fresh one.
    expect(
      await store.write([
        entry(`${run}:response`, [`User:${run}`, `Order:${run}`, `Product:${run}`], readBefore),
        entry(`${run}:order`, [`Order:${run}`, `User:${run}`], readBefore),
        entry(`${run}:product`, [`Product:${run}`], readBefore),
        entry(`${run}:order-again`, [`Order:${run}`], readAfter),
      ]),
    ).toBe(2);
    const keys = ['response', 'order', 'product', 'order-again'].map((k) => `${PREFIX}${run}:${k}`);
    expect(await store.mget(keys)).toEqual([null, null, `value of ${run}:product`, `value of ${run}:order-again`]);
    // What was kept is indexed under every tag it holds: invalidating one drops it.
    expect(await store.invalidate([`Product:${run}`])).toBe(1);
    expect(await store.invalidate([`Order:${run}`])).toBe(1);
    expect(await store.mget(keys)).toEqual([null, null, null, null]);
  });

  it('keeps plain values with a time to live (persisted queries)', async () => {
    const key = `${PREFIX}apq:${Math.random().toString(36).slice(2)}`;
    expect(await store.get(key)).toBeNull();
    await store.set(key, '{ categories { name } }', 60_000);
    expect(await store.get(key)).toBe('{ categories { name } }');
    expect(await store.delete(key)).toBe(true);
    expect(await store.get(key)).toBeNull();
  });
});

describe('the Redis store', () => {
  it('indexes a tag in a sorted set that prunes expired entries and lives as long as its longest entry', async () => {
    const store = createRedisStore({ client, keyPrefix: PREFIX, isReady: () => true, clockSkewMs: CLOCK_SKEW_MS });
    const run = Math.random().toString(36).slice(2);
    await store.write([entry(`${run}:short`, [`Category:${run}`], Date.now(), 1)]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await store.write([entry(`${run}:long`, [`Category:${run}`], Date.now(), 90_000)]);
    const index = `${PREFIX}{tag:Category:${run}}`;
    expect(await client.zrange(index, 0, -1)).toEqual([`${PREFIX}${run}:long`]);
    expect(await client.pttl(index)).toBeGreaterThan(60_000);
  });

  it('writes entries, their indexes and the tombstone check in one round trip on one node', async () => {
    const store = createRedisStore({ client, keyPrefix: PREFIX, isReady: () => true, clockSkewMs: CLOCK_SKEW_MS });
    const run = Math.random().toString(36).slice(2);
    const before = store.roundTrips;
    const tags = Array.from({ length: 20 }, (_, i) => `Product:${run}${i}`);
    const written = tags.map((tag, i) => entry(`${run}:${i}`, [tag, `User:${run}`], Date.now(), 30_000));
    expect(await store.write(written)).toBe(20);
    expect(store.roundTrips - before).toBe(1);
    expect(await client.zrange(`${PREFIX}{tag:User:${run}}`, 0, -1)).toEqual(written.map((e) => e.key).sort());
    expect(await client.pttl(written[0]!.key)).toBeGreaterThan(20_000);
    expect(await client.pttl(`${PREFIX}{tag:Product:${run}3}`)).toBeGreaterThan(20_000);
  });

  it('is skipped, not waited on, while Redis is not connected', async () => {
    const store = createRedisStore({ client, keyPrefix: PREFIX, isReady: () => false, clockSkewMs: CLOCK_SKEW_MS });
    await expect(store.mget([`${PREFIX}x`])).rejects.toBeInstanceOf(StoreUnavailable);
    expect(store.roundTrips).toBe(0);
  });
});
