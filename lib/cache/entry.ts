import { randomBytes } from 'node:crypto';
import type { CacheScope } from './keys.ts';

/**
 * What a response or entity entry holds, stored as JSON under a key of `cacheKeys` (whose version
 * changes with this shape: entries of another shape are never read).
 */
export interface CacheEntry {
  /** The response's data, or the entity's fields. */
  data: unknown;
  /** PUBLIC: anyone may read it; PRIVATE: only the user in its key. */
  scope: CacheScope;
  /** Fresh until (ms since the epoch); after it, an entry still in the store is a stale copy. */
  freshUntil: number;
  /** The entities it was built from (`Type:id`), whose invalidation removes it. */
  tags: string[];
  /**
   * A response entry's write, random and written last (`STAMP_LENGTH` characters): the entry's last
   * bytes then tell one write from another, so a gateway holding a copy asks Redis whether it is
   * still the stored one without the entry being sent (lib/gateway/heldEntries.ts). Readers that
   * parse the entry ignore it; entries without it are read as before, just never held.
   */
  stamp?: string;
}

/** Characters of a write stamp: 16 random bytes in base64url. */
export const STAMP_LENGTH = 22;

export function newStamp(): string {
  return randomBytes(16).toString('base64url');
}

export function parseEntry(raw: string | null | undefined): CacheEntry | null {
  if (!raw) return null;
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== 'object' || value === null) return null;
    const entry = value as Partial<CacheEntry>;
    if (
      (entry.scope !== 'PUBLIC' && entry.scope !== 'PRIVATE') ||
      typeof entry.freshUntil !== 'number' ||
      !Array.isArray(entry.tags)
    )
      return null;
    return {
      data: entry.data,
      scope: entry.scope,
      freshUntil: entry.freshUntil,
      tags: entry.tags.filter((t): t is string => typeof t === 'string'),
    };
  } catch {
    return null;
  }
}

/** Seconds an entry stays fresh from `now` (what a response built from it may be cached for). */
export function remainingSeconds(entry: CacheEntry, now: number): number {
  return Math.max(0, Math.floor((entry.freshUntil - now) / 1000));
}

/** The caller's private copy wins over the public one; a fresh one over a stale one. */
export function pickEntry(
  candidates: ReadonlyArray<CacheEntry | null>,
  now: number,
): { fresh: CacheEntry | null; stale: CacheEntry | null } {
  const present = candidates.filter((c): c is CacheEntry => c !== null);
  return { fresh: present.find((c) => c.freshUntil > now) ?? null, stale: present[0] ?? null };
}
