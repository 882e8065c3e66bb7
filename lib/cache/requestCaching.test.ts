import { OperationTypeNode, type FormattedExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { memoryCacheRuntime } from '../../test/support/cacheRuntime.ts';
import type { CacheHint } from './policy.ts';
import type { CachedOperation } from './requestCaching.ts';
import type { CacheRuntime } from './runtime.ts';

const runtime = (responses = true) => memoryCacheRuntime({ responses, maxTtlSeconds: 60 });

const QUERY: CachedOperation = {
  kind: OperationTypeNode.QUERY,
  queryHash: 'hash-of-the-document',
  operationName: 'Catalog',
  variables: { first: 3 },
};
const PUBLIC: CacheHint = { maxAge: 300, scope: 'PUBLIC' };
const PRIVATE: CacheHint = { maxAge: 30, scope: 'PRIVATE' };

/** What a policy was restricted to by a lookup. */
function policy() {
  const restricted: Array<{ maxAge?: number; scope?: string }> = [];
  return { restricted, restrict: (hint: { maxAge?: number; scope?: string }) => restricted.push(hint) };
}

/**
 * One request through the unit: lookup, then (on a miss) `result` answered under `hint`, its fetches
 * having served stale entities when `stale`.
 */
async function request(
  cache: CacheRuntime,
  userId: string | null,
  result: FormattedExecutionResult,
  hint: CacheHint | null,
  { operation = QUERY, stale = false }: { operation?: CachedOperation; stale?: boolean } = {},
) {
  const caching = cache.startRequest(userId);
  const looked = policy();
  const hit = await caching.lookUp(operation, looked);
  const headers = new Map<string, string>();
  const answer = hit ? { data: hit } : { ...result };
  caching.state.stale = !hit && stale;
  await caching.finish(headers, answer, hint);
  return { hit, xCache: headers.get('x-cache'), restricted: looked.restricted, answer };
}

const data = { products: { totalCount: 3 } };

describe('RequestCaching', () => {
  it('stores a cacheable answer under its scope and serves it next, restricting the policy to what is left of it', async () => {
    const cache = runtime();
    const miss = await request(cache, null, { data }, PUBLIC);
    expect(miss).toMatchObject({ hit: null, xCache: 'miss' });
    const hit = await request(cache, 'someone', { data: null }, PUBLIC);
    expect(hit).toMatchObject({ hit: data, xCache: 'hit' });
    // The entry's max-age is capped by CACHE_MAX_TTL_SECONDS (60).
    expect(hit.restricted).toEqual([{ maxAge: expect.any(Number) as number, scope: 'PUBLIC' }]);
    expect(hit.restricted[0]!.maxAge).toBeGreaterThan(58);
    expect(cache.stats.response).toMatchObject({ hits: 1, misses: 1, writes: 1 });
  });

  it('keeps a private answer to its user, and stores none for an anonymous caller', async () => {
    const cache = runtime();
    await request(cache, 'ada', { data }, PRIVATE);
    expect((await request(cache, 'ada', { data: null }, PRIVATE)).hit).toEqual(data);
    expect((await request(cache, 'bob', { data: null }, null)).hit).toBeNull();
    await request(cache, null, { data }, PRIVATE);
    expect((await request(cache, null, { data: null }, null)).hit).toBeNull();
    expect(cache.stats.response.writes).toBe(1);
  });

  it('stores no answer with errors, built from stale entities, uncacheable, or to a mutation; marks the stale one', async () => {
    const cache = runtime();
    const errors = [{ message: 'inventory is down' }];
    await request(cache, null, { data, errors }, PUBLIC);
    const stale = await request(cache, null, { data, extensions: { rateLimit: 1 } }, PUBLIC, { stale: true });
    expect(stale.answer.extensions).toEqual({ rateLimit: 1, cache: { stale: true } });
    await request(cache, null, { data }, null);
    await request(cache, null, { data }, PUBLIC, { operation: { ...QUERY, kind: OperationTypeNode.MUTATION } });
    expect(cache.stats.response.writes).toBe(0);
    expect((await request(cache, null, { data }, PUBLIC)).hit).toBeNull();
  });

  it('with CACHE_RESPONSES=false looks nothing up and stores no response, but still says x-cache', async () => {
    const cache = runtime(false);
    expect((await request(cache, null, { data }, PUBLIC)).xCache).toBe('miss');
    expect((await request(cache, null, { data }, PUBLIC)).hit).toBeNull();
    expect(cache.stats.response).toMatchObject({ hits: 0, misses: 0, writes: 0 });
  });
});
