import { describe, expect, it } from 'vitest';
import { stableJson } from './keys.ts';

/** What stableJson promises: JSON.stringify's output with every object's keys sorted. */
function sortedReference(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, (v as Record<string, unknown>)[k]]),
    );
  });
}

describe('stableJson', () => {
  it.each([
    { id: 'p1', __typename: 'Product' },
    { __typename: 'Product', id: 'p1' },
    { b: 1.5, a: true, c: null, d: 'quote " and \\ and \u2028', e: undefined, f: -0, g: Number.NaN },
    {},
    { filter: { maxPrice: 10_000.5, category: 'x' }, first: 20 },
    { list: [{ b: 1, a: 2 }, 'x', null], z: { y: { x: 1, w: [] } } },
    [{ b: 1, a: 2 }],
    'text',
    42,
    null,
  ])('writes %j as JSON.stringify does, keys sorted', (value) => {
    expect(stableJson(value)).toBe(sortedReference(value));
    expect(JSON.parse(stableJson(value) ?? 'null')).toEqual(JSON.parse(JSON.stringify(value) ?? 'null'));
  });

  it('gives equal text for equal representations whatever their key order', () => {
    expect(stableJson({ id: '7', __typename: 'User', region: 'eu' })).toBe(
      stableJson({ region: 'eu', __typename: 'User', id: '7' }),
    );
  });
});
