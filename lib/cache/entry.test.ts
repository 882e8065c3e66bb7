import { describe, expect, it } from 'vitest';
import { parseEntry, pickEntry, remainingSeconds, type CacheEntry } from './entry.ts';
import { cacheKeys } from './keys.ts';

const entry = (scope: CacheEntry['scope'], freshUntil: number): CacheEntry => ({
  data: { product: { id: 'p1' } },
  scope,
  freshUntil,
  tags: ['Product:p1'],
});

describe('cache entries', () => {
  it('round-trips an entry through its stored JSON', () => {
    const stored = entry('PRIVATE', 5_000);
    expect(parseEntry(JSON.stringify(stored))).toEqual(stored);
    expect(remainingSeconds(stored, 1_000)).toBe(4);
  });

  it('reads nothing from an entry of the old {d,s,f,t} shape, and keys carry the shape version', () => {
    expect(parseEntry(JSON.stringify({ d: { product: null }, s: 'PUBLIC', f: Date.now() + 60_000, t: [] }))).toBe(null);
    const base = cacheKeys.response('p:', { gateway: 'web', queryHash: 'h', operationName: null, variables: {} });
    expect(base).toMatch(/^p:\{rc:[^}]+\}:v2$/);
    expect(cacheKeys.entity('p:', 'products', 'shape', '{"id":"p1"}')).toMatch(/^p:\{ec:products:shape\}:v2:/);
  });

  it("prefers the caller's fresh copy, and keeps a stale one for when the subgraph is down", () => {
    const stale = entry('PUBLIC', 1_000);
    const fresh = entry('PUBLIC', 9_000);
    expect(pickEntry([null, stale, fresh], 2_000)).toEqual({ fresh, stale });
    expect(pickEntry([parseEntry('not json'), stale], 2_000)).toEqual({ fresh: null, stale });
  });
});
