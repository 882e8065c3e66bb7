import { createHash } from 'node:crypto';

/** A short, key-safe digest (sha256, base64url). */
export function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** JSON with object keys sorted, so equal values (variables, representations) give equal keys. */
export function stableJson(value: unknown): string {
  return (
    flatStableJson(value) ??
    JSON.stringify(value, (_key, v: unknown) => {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
      const sorted: Record<string, unknown> = {};
      for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
      return sorted;
    })
  );
}

/**
 * An object of strings, numbers, booleans and nulls (an entity representation, most variables)
 * written with its keys sorted by hand: JSON.stringify with a replacer calls back once per value,
 * and a deep query's fetches send hundreds of representations. Null for anything nested.
 */
function flatStableJson(value: unknown): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let json = '{';
  for (const key of keys) {
    const v = record[key];
    if (v === undefined) continue;
    if (v !== null && typeof v === 'object') return null;
    if (typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') return null;
    json += `${json.length > 1 ? ',' : ''}${JSON.stringify(key)}:${JSON.stringify(v)}`;
  }
  return `${json}}`;
}

/** Braces would open a hash tag of their own inside ours; ids never contain them, anything else is neutralised. */
function keySafe(text: string): string {
  return text.replace(/[{}]/g, '_');
}

export type CacheScope = 'PUBLIC' | 'PRIVATE';

/**
 * The version of the entries' JSON shape (`CacheEntry`), part of every response and entity key:
 * entries written in another shape (v1 was `{d,s,f,t}`) are never read, and two versions of the
 * gateway running side by side during a deploy keep their own entries instead of overwriting each other's.
 */
const ENTRY_SHAPE = 'v2';

/**
 * Every Redis key the caches use, under the connection's prefix. Keys that one command reads
 * together share a hash tag, so a Redis Cluster serves them from one slot:
 * - a response entry `{rc:<operation>}:v2:pub|u:<user>`: the public and the caller's private variant in one MGET;
 * - an entity entry `{ec:<subgraph>:<shape>}:v2:<representation>:pub|u:<user>`: every entity of one
 *   fetch shape in one slot, so one MGET reads all of a fetch's entities (the price: a hot shape's
 *   entities live on one node);
 * - a tag index `{tag:<Type>:<id>}` and its tombstone `{tag:<Type>:<id>}:inv`, read and written by one script.
 */
export const cacheKeys = {
  response(
    prefix: string,
    parts: { gateway: string; queryHash: string; operationName: string | null; variables: unknown },
  ): string {
    return `${prefix}{rc:${digest(`${parts.gateway}\n${parts.queryHash}\n${parts.operationName ?? ''}\n${stableJson(parts.variables ?? {})}`)}}:${ENTRY_SHAPE}`;
  },
  entity(prefix: string, subgraph: string, shape: string, representation: string): string {
    return `${prefix}{ec:${keySafe(subgraph)}:${shape}}:${ENTRY_SHAPE}:${digest(representation)}`;
  },
  /** The public variant of an entry, or the one only `userId` may read. */
  scoped(base: string, scope: CacheScope, userId: string | null): string | null {
    if (scope === 'PUBLIC') return `${base}:pub`;
    return userId ? `${base}:u:${keySafe(userId)}` : null;
  },
  tag(prefix: string, tag: string): string {
    return `${prefix}{tag:${keySafe(tag)}}`;
  },
  tombstone(prefix: string, tag: string): string {
    return `${prefix}{tag:${keySafe(tag)}}:inv`;
  },
  apq(prefix: string, key: string): string {
    return `${prefix}${keySafe(key)}`;
  },
};
