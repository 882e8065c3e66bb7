import { OperationTypeNode, type FormattedExecutionResult } from 'graphql';
import { newStamp, parseEntry, pickEntry, remainingSeconds, type CacheEntry } from './entry.ts';
import { cacheKeys } from './keys.ts';
import type { CacheHint, RestrictablePolicy } from './policy.ts';
import { RequestCacheState } from './requestState.ts';
import type { CacheRuntime } from './runtime.ts';
import type { EntryWrite } from './store.ts';

/** What the response cache reads of the operation a request runs (as Apollo's request context has it). */
export interface CachedOperation {
  /** query, mutation or subscription: only queries are looked up and stored. */
  kind: OperationTypeNode;
  /** Apollo's hash of the document: of its text, or the persisted id it was sent by. */
  queryHash: string | undefined;
  /** The resolved operation's name. */
  operationName: string | null;
  variables: Record<string, unknown> | undefined;
}

/** Where the answer's `x-cache` goes: Apollo's HeaderMap, or the known-query path's. */
export interface HeaderSink {
  set(name: string, value: string): unknown;
}

/**
 * The caches' work for one request, whichever path answers it (Apollo's pipeline through
 * `responseCachePlugin`, or the known-query path in lib/gateway/knownOperations.ts): it owns the
 * request's `RequestCacheState` (the tags, entity fetches in flight, entity writes and counts its
 * subgraph fetches add to), looks the response up before the plan runs, and at the end says
 * `x-cache`, marks a stale answer and writes what the request learned in one batch.
 *
 * The response entry's key is the gateway, the operation document (its hash), the operation name
 * and the variables, plus the verified user id when the response's policy is PRIVATE. A lookup
 * reads the public and the caller's private entry in one MGET (one slot), so one user's private
 * entry is never another's. A response is stored only when it has no errors, served no stale
 * entities, and its policy (the least maxAge and the most private scope of every subgraph's
 * `cache-control` and every cached entity, as Apollo computes it) is cacheable. It is tagged with
 * every entity its fetches touched, so invalidating one entity drops it. With `config.responses`
 * false only the entity cache's part is done: no response is looked up or stored.
 */
export class RequestCaching {
  readonly state = new RequestCacheState();
  /** The response entry's key before its scope, once a query was looked up: what the answer may be stored under. */
  #base: string | null = null;

  constructor(
    private readonly runtime: CacheRuntime,
    /** The verified caller, null when anonymous: the only reader of PRIVATE entries it writes. */
    private readonly userId: string | null,
  ) {}

  /**
   * The stored response for a query, or null (a miss, not a query, the response cache off, the store
   * failing). A hit restricts `policy` to what is left of the entry's freshness and to its scope,
   * which is what the answer's `cache-control` then says.
   */
  async lookUp(operation: CachedOperation, policy: RestrictablePolicy): Promise<Record<string, unknown> | null> {
    const { runtime } = this;
    if (!runtime.config.responses) return null;
    if (operation.kind !== OperationTypeNode.QUERY || !operation.queryHash) return null;
    const base = cacheKeys.response(runtime.keyPrefix, {
      gateway: runtime.gateway,
      queryHash: operation.queryHash,
      operationName: operation.operationName,
      variables: operation.variables,
    });
    this.#base = base;
    const keys = [cacheKeys.scoped(base, 'PRIVATE', this.userId), cacheKeys.scoped(base, 'PUBLIC', null)].filter(
      (k): k is string => k !== null,
    );
    let values: Array<string | null>;
    try {
      values = await runtime.store.mget(keys);
    } catch (error) {
      // Still stored at the end if the answer allows: the store may be back by then.
      runtime.failed('response', error);
      return null;
    }
    const now = Date.now();
    const { fresh } = pickEntry(values.map(parseEntry), now);
    if (!fresh) {
      runtime.stats.response.misses += 1;
      return null;
    }
    runtime.stats.response.hits += 1;
    this.state.responseHit = true;
    policy.restrict({ maxAge: remainingSeconds(fresh, now), scope: fresh.scope });
    return fresh.data as Record<string, unknown>;
  }

  /**
   * The end of the request, once its answer is known (before it is sent): `x-cache` on `headers`,
   * `extensions.cache.stale` on a result built from stale entities, and one awaited write of the
   * entity entries and (a storable answer to a looked-up query) the response entry, so the next
   * request, on any replica, finds what this one learned. `policy` is the answer's cacheable policy
   * (Apollo's `overallCachePolicy.policyIfCacheable()`), null when it is not cacheable.
   */
  async finish(headers: HeaderSink, result: FormattedExecutionResult | null, policy: CacheHint | null): Promise<void> {
    const { state, runtime } = this;
    headers.set('x-cache', state.status());
    const writes: EntryWrite[] = [...state.entityWrites];
    let responses = 0;
    if (result) {
      if (state.stale) result.extensions = { ...result.extensions, cache: { stale: true } };
      const response = this.#responseWrite(result, policy);
      if (response) {
        writes.push(response);
        responses = 1;
      }
    }
    await runtime.write(writes, { response: responses, entity: state.entityWrites.length });
  }

  /** The response entry for `result`, or null when it must not be stored. */
  #responseWrite(result: FormattedExecutionResult, policy: CacheHint | null): EntryWrite | null {
    const { state } = this;
    const base = this.#base;
    if (base === null || !policy || state.responseHit || state.stale || result.errors?.length || !result.data)
      return null;
    const key = cacheKeys.scoped(base, policy.scope, this.userId);
    if (!key) return null;
    const maxAge = Math.min(policy.maxAge, this.runtime.config.maxTtlSeconds);
    const tags = [...state.tags];
    return {
      key,
      value: JSON.stringify({
        data: result.data,
        scope: policy.scope,
        freshUntil: state.startedAt + maxAge * 1000,
        tags,
        stamp: newStamp(),
      } satisfies CacheEntry),
      ttlMs: maxAge * 1000,
      tags,
      readAt: state.startedAt,
    };
  }
}
