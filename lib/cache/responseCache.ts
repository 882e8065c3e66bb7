import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from '../gateway/context.ts';
import type { CacheRuntime } from './runtime.ts';

/**
 * The caches' per-request work (lib/cache/requestCaching.ts) in Apollo's pipeline: started when the
 * request starts (its subgraph fetches find it on the context), the response looked up where Apollo
 * lets a plugin answer instead of executing, and finished when the answer is known. Every rule is
 * the unit's, which the known-query path (lib/gateway/knownOperations.ts) calls the same way.
 */
export function responseCachePlugin(runtime: CacheRuntime): ApolloServerPlugin<GatewayContext> {
  return {
    // eslint-disable-next-line @typescript-eslint/require-await -- Apollo's plugin API types this hook as returning a Promise
    async requestDidStart({ contextValue }) {
      const caching = runtime.startRequest(contextValue.userId);
      contextValue.cache = caching;
      return {
        async responseForOperation({ operation, queryHash, operationName, request, overallCachePolicy }) {
          const data = await caching.lookUp(
            { kind: operation.operation, queryHash, operationName, variables: request.variables },
            overallCachePolicy,
          );
          if (!data) return null;
          return { http: { headers: new HeaderMap() }, body: { kind: 'single', singleResult: { data } } };
        },
        async willSendResponse({ response, overallCachePolicy }) {
          const result = response.body.kind === 'single' ? response.body.singleResult : null;
          await caching.finish(response.http.headers, result, overallCachePolicy.policyIfCacheable());
        },
      };
    },
  };
}
