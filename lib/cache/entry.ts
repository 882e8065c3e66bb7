import type { CacheScope } from './keys.ts';

/** What a response or entity entry holds: the data, its scope, when it stops being fresh, its tags. */
export interface CacheEntry {
  d: unknown;
  s: CacheScope;
  /** Fresh until (ms since the epoch); after it, an entry still in the store is a stale copy. */
  f: number;
  t: string[];
}

export function parseEntry(raw: string | null | undefined): CacheEntry | null {
  if (!raw) return null;
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== 'object' || value === null) return null;
    const entry = value as Partial<CacheEntry>;
    if ((entry.s !== 'PUBLIC' && entry.s !== 'PRIVATE') || typeof entry.f !== 'number' || !Array.isArray(entry.t))
      return null;
    return { d: entry.d, s: entry.s, f: entry.f, t: entry.t.filter((t): t is string => typeof t === 'string') };
  } catch {
    return null;
  }
}

/** Seconds an entry stays fresh from `now` (what a response built from it may be cached for). */
export function remainingSeconds(entry: CacheEntry, now: number): number {
  return Math.max(0, Math.floor((entry.f - now) / 1000));
}

/** The caller's private copy wins over the public one; a fresh one over a stale one. */
export function pickEntry(
  candidates: ReadonlyArray<CacheEntry | null>,
  now: number,
): { fresh: CacheEntry | null; stale: CacheEntry | null } {
  const present = candidates.filter((c): c is CacheEntry => c !== null);
  return { fresh: present.find((c) => c.f > now) ?? null, stale: present[0] ?? null };
}
