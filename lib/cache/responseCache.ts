import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { OperationTypeNode } from 'graphql';
import type { GatewayContext } from '../gateway/context.ts';
import { newStamp, parseEntry, pickEntry, remainingSeconds, type CacheEntry } from './entry.ts';
import { cacheKeys } from './keys.ts';
import { RequestCacheState } from './requestState.ts';
import type { CacheRuntime } from './runtime.ts';
import type { EntryWrite } from './store.ts';

/**
 * The response cache, an Apollo Server plugin. Queries only: the key is the gateway, the operation
 * document (its hash), the operation name and the variables, plus the verified user id when the
 * response's policy is PRIVATE. A lookup reads the public and the caller's private entry in one
 * MGET (one slot), so one user's private entry is never another's. A response is stored only when
 * it has no errors, served no stale entities, and Apollo's policy for it (the least maxAge and the
 * most private scope of every subgraph's `cache-control` and every cached entity) is cacheable.
 * It is tagged with every entity its fetches touched, so invalidating one entity drops it.
 * Every response says `x-cache: hit|partial|miss`; one with stale entities has `extensions.cache.stale`.
 * With `config.responses` false the plugin keeps only the entity cache's per-request work (its
 * state, `x-cache`, the batched entity writes): no response is looked up or stored.
 */
export function responseCachePlugin(runtime: CacheRuntime): ApolloServerPlugin<GatewayContext> {
  const { stats } = runtime;
  return {
    // eslint-disable-next-line @typescript-eslint/require-await -- Apollo's plugin API types this hook as returning a Promise
    async requestDidStart({ contextValue }) {
      const state = new RequestCacheState();
      contextValue.cache = state;
      let base: string | null = null;
      return {
        async responseForOperation(requestContext) {
          const { queryHash } = requestContext;
          if (!runtime.config.responses) return null; // the entity cache alone (CACHE_RESPONSES=false)
          if (requestContext.operation.operation !== OperationTypeNode.QUERY || !queryHash) return null;
          base = cacheKeys.response(runtime.keyPrefix, {
            gateway: runtime.gateway,
            queryHash,
            operationName: requestContext.operationName,
            variables: requestContext.request.variables,
          });
          const keys = [
            cacheKeys.scoped(base, 'PRIVATE', contextValue.userId),
            cacheKeys.scoped(base, 'PUBLIC', null),
          ].filter((k): k is string => k !== null);
          let values: Array<string | null>;
          try {
            values = await runtime.store.mget(keys);
          } catch (error) {
            runtime.failed('response', error);
            return null;
          }
          const now = Date.now();
          const { fresh } = pickEntry(values.map(parseEntry), now);
          if (!fresh) {
            stats.response.misses += 1;
            return null;
          }
          stats.response.hits += 1;
          state.responseHit = true;
          requestContext.overallCachePolicy.restrict({ maxAge: remainingSeconds(fresh, now), scope: fresh.scope });
          return {
            http: { headers: new HeaderMap() },
            body: { kind: 'single', singleResult: { data: fresh.data as Record<string, unknown> } },
          };
        },
        async willSendResponse({ response, overallCachePolicy }) {
          response.http.headers.set('x-cache', state.status());
          const writes: EntryWrite[] = [...state.entityWrites];
          let responses = 0;
          if (response.body.kind === 'single') {
            const result = response.body.singleResult;
            if (state.stale) result.extensions = { ...result.extensions, cache: { stale: true } };
            const policy = overallCachePolicy.policyIfCacheable();
            const storable =
              base !== null && !state.responseHit && !state.stale && !result.errors?.length && result.data;
            const key = storable && base && policy ? cacheKeys.scoped(base, policy.scope, contextValue.userId) : null;
            if (key && policy) {
              const maxAge = Math.min(policy.maxAge, runtime.config.maxTtlSeconds);
              writes.push({
                key,
                value: JSON.stringify({
                  data: result.data,
                  scope: policy.scope,
                  freshUntil: state.startedAt + maxAge * 1000,
                  tags: [...state.tags],
                  stamp: newStamp(),
                } satisfies CacheEntry),
                ttlMs: maxAge * 1000,
                tags: [...state.tags],
                readAt: state.startedAt,
              });
              responses = 1;
            }
          }
          // Awaited: the next request, on any replica, finds what this one learned.
          await runtime.write(writes, { response: responses, entity: state.entityWrites.length });
        },
      };
    },
  };
}
