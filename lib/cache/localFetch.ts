import { parse, type GraphQLSchema } from 'graphql';
import { staticCachePolicy, type CacheHint, type RestrictablePolicy } from './policy.ts';
import type { RequestCacheState } from './requestState.ts';
import type { CacheRuntime } from './runtime.ts';
import type { FetchRequest, FetchResponse } from './subgraphCache.ts';
import { collectTags, representationTag } from './tags.ts';

/** A fetch of the gateway's own (BFF) subgraph, which runs in-process. */
export interface LocalFetch {
  subgraph: string;
  request: FetchRequest;
  state: RequestCacheState;
  policy: RestrictablePolicy | null;
  execute(request: FetchRequest): Promise<FetchResponse>;
}

/**
 * The BFF answers without HTTP, so no `cache-control` header restricts Apollo's policy for it:
 * its hints are applied here instead, computed from its schema's @cacheControl (a dashboard is
 * PRIVATE; `rateLimit` is never cacheable), and the entities it returns are tagged like any others.
 */
export function localFetcher(runtime: CacheRuntime, schema: GraphQLSchema): (fetch: LocalFetch) => Promise<FetchResponse> {
  const policies = new Map<string, CacheHint>();
  return async (fetch) => {
    const query = fetch.request.query;
    if (!query) return fetch.execute(fetch.request);
    const analysis = runtime.analyse(fetch.subgraph, query);
    let hint = policies.get(analysis.query);
    if (!hint) {
      hint = staticCachePolicy(schema, parse(analysis.query));
      policies.set(analysis.query, hint);
    }
    const response = await fetch.execute({ ...fetch.request, query: analysis.query });
    fetch.policy?.restrict(response.errors?.length ? { maxAge: 0 } : hint);
    collectTags(response.data, fetch.state.tags);
    const representations: unknown = fetch.request.variables?.representations;
    if (Array.isArray(representations)) {
      for (const r of representations) {
        if (typeof r !== 'object' || r === null) continue;
        const record = r as Record<string, unknown>;
        const tag = representationTag(record, typeof record.__typename === 'string' ? runtime.model.keyFields(fetch.subgraph, record.__typename) : null);
        if (tag) fetch.state.tags.add(tag);
      }
    }
    return response;
  };
}
