import { parse, type GraphQLSchema } from 'graphql';
import { remembered } from './memo.ts';
import { staticCachePolicy, type CacheHint, type RestrictablePolicy } from './policy.ts';
import type { RequestCacheState } from './requestState.ts';
import type { CacheRuntime } from './runtime.ts';
import { representationTags, type FetchRequest, type FetchResponse } from './fetchThroughCache.ts';
import { collectTags } from './tags.ts';

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
export function localFetcher(
  runtime: CacheRuntime,
  schema: GraphQLSchema,
): (fetch: LocalFetch) => Promise<FetchResponse> {
  const policyOf = remembered(2000, (query): CacheHint => staticCachePolicy(schema, parse(query)));
  return async (fetch) => {
    const query = fetch.request.query;
    if (!query) return fetch.execute(fetch.request);
    const analysis = runtime.analyse(fetch.subgraph, query);
    const hint = policyOf(analysis.query);
    const response = await fetch.execute({ ...fetch.request, query: analysis.query });
    fetch.policy?.restrict(response.errors?.length ? { maxAge: 0 } : hint);
    collectTags(response.data, fetch.state.tags);
    representationTags(runtime, fetch.subgraph, fetch.request.variables?.representations, fetch.state.tags);
    return response;
  };
}
