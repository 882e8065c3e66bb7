// The fast path's held copies: only stamped entries, bounded in bytes, least recently used out first.
import { describe, expect, it } from 'vitest';
import { newStamp, type CacheEntry } from '../cache/entry.ts';
import { readEntry } from './fastHit.ts';
import { HeldEntries } from './heldEntries.ts';

function stored(data: unknown, stamp: string | null = newStamp()): Buffer {
  const entry: CacheEntry = { data, scope: 'PUBLIC', freshUntil: Date.now() + 60_000, tags: ['Product:1'] };
  return Buffer.from(JSON.stringify(stamp === null ? entry : { ...entry, stamp }));
}

function hold(held: HeldEntries, key: string, raw: Buffer): void {
  const entry = readEntry(raw);
  if (!entry) throw new Error('not an entry');
  held.hold(key, raw, entry);
}

describe('HeldEntries', () => {
  it('holds a stamped entry as its own bytes: the data as stored and the tail ending with the stamp', () => {
    const held = new HeldEntries(1024 * 1024);
    const stamp = newStamp();
    // A slice of a larger buffer, as ioredis hands replies over: the copy must not keep the rest alive.
    const big = Buffer.concat([Buffer.from('x'.repeat(100)), stored({ a: [1, 2] }, stamp)]);
    const raw = big.subarray(100);
    hold(held, 'k', raw);
    const copy = held.get('k');
    expect(copy?.entry.data.toString()).toBe('{"a":[1,2]}');
    expect(copy?.tail.toString()).toBe(`,"stamp":"${stamp}"}`);
    expect(copy?.entry.data.buffer).not.toBe(big.buffer);
    raw.fill(0);
    expect(copy?.entry.data.toString()).toBe('{"a":[1,2]}');
    expect(held.bytes).toBe(raw.length);
  });

  it('does not hold an entry without a stamp (its last bytes would not tell writes apart)', () => {
    const held = new HeldEntries(1024 * 1024);
    hold(held, 'k', stored({ a: 1 }, null));
    hold(held, 'j', stored({ a: 1 }, 'too-short'));
    expect(held.size).toBe(0);
  });

  it('stays within its bytes, dropping the least recently used first', () => {
    const one = stored({ n: 'x'.repeat(100) });
    const held = new HeldEntries(one.length * 3);
    for (const key of ['a', 'b', 'c']) hold(held, key, stored({ n: 'x'.repeat(100) }));
    held.get('a'); // used: 'b' is now the oldest
    hold(held, 'd', stored({ n: 'x'.repeat(100) }));
    expect(['a', 'b', 'c', 'd'].filter((k) => held.get(k))).toEqual(['a', 'c', 'd']);
    expect(held.bytes).toBeLessThanOrEqual(one.length * 3);
    // A copy larger than the whole budget is not held, and nothing is dropped for it.
    hold(held, 'huge', stored({ n: 'x'.repeat(one.length * 4) }));
    expect(held.get('huge')).toBeUndefined();
    expect(held.size).toBe(3);
  });

  it('replaces a key held again and forgets a dropped one', () => {
    const held = new HeldEntries(1024 * 1024);
    hold(held, 'k', stored({ v: 1 }));
    const second = stored({ v: 22 });
    hold(held, 'k', second);
    expect(held.get('k')?.entry.data.toString()).toBe('{"v":22}');
    expect(held.bytes).toBe(second.length);
    held.drop('k');
    expect([held.size, held.bytes]).toEqual([0, 0]);
  });

  it('holds nothing with a budget of 0', () => {
    const held = new HeldEntries(0);
    hold(held, 'k', stored({ v: 1 }));
    expect(held.size).toBe(0);
  });
});
