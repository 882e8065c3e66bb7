import type { DocumentNode, GraphQLSchema } from 'graphql';
import { analyzeOperation } from '../graphql/analysis.ts';
import { costModelFromSchema } from '../graphql/cost.ts';
import type { CacheScope } from './keys.ts';

/** A cache policy as Apollo computes it: the least maxAge and the most restrictive scope of everything used. */
export interface CacheHint {
  maxAge: number;
  scope: CacheScope;
}

/** Apollo's per-request policy (`requestContext.overallCachePolicy`), as far as the caches touch it. */
export interface RestrictablePolicy {
  restrict(hint: { maxAge?: number; scope?: CacheScope }): void;
}

/**
 * A subgraph's `cache-control` header as Apollo Gateway reads it (honorSubgraphCacheControlHeader):
 * `max-age=N` and `public`/`private`; no header, `no-store` or anything else is not cacheable.
 */
export function hintFromCacheControl(header: string | null | undefined): CacheHint {
  const hint: CacheHint = { maxAge: 0, scope: 'PUBLIC' };
  for (const part of (header ?? '').split(',').map((p) => p.trim().toLowerCase())) {
    const maxAge = /^max-age=(\d+)$/.exec(part);
    if (maxAge) hint.maxAge = Number(maxAge[1]);
    if (part === 'private') hint.scope = 'PRIVATE';
  }
  return hint;
}

export function restrictHint(a: CacheHint, b: CacheHint): CacheHint {
  return {
    maxAge: Math.min(a.maxAge, b.maxAge),
    scope: a.scope === 'PRIVATE' || b.scope === 'PRIVATE' ? 'PRIVATE' : 'PUBLIC',
  };
}

/**
 * The policy Apollo Server's cache-control plugin would compute for `document` against a schema
 * whose hints never depend on data, without running it: used for the BFF subgraph, which runs
 * in-process (no HTTP response, so no `cache-control` header). Read from the operation analysis
 * (lib/graphql/analysis.ts), which applies Apollo's rules once per fragment.
 */
export function staticCachePolicy(schema: GraphQLSchema, document: DocumentNode): CacheHint {
  return analyzeOperation(costModelFromSchema(schema), document, null).cacheHint;
}
