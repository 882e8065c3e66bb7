import type { GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { OperationTypeNode, type GraphQLFormattedError } from 'graphql';
import { pickEntry, parseEntry, remainingSeconds, type CacheEntry } from './entry.ts';
import { cacheKeys, digest, stableJson, type CacheScope } from './keys.ts';
import { hintFromCacheControl, type RestrictablePolicy } from './policy.ts';
import type { RequestCacheState } from './requestState.ts';
import type { CacheRuntime } from './runtime.ts';
import type { FetchAnalysis } from './fetchAnalysis.ts';
import { collectTags, representationTag } from './tags.ts';

export type FetchRequest = GraphQLDataSourceProcessOptions['request'];
export type FetchResponse = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

/** A subgraph's answer, and whether the call itself failed (down, timed out, breaker open): only then may stale copies stand in. */
export interface SentFetch {
  response: FetchResponse;
  unavailable: boolean;
}

/** One subgraph fetch of a plan, as the gateway's subgraph client hands it to the caches. */
export interface SubgraphFetch {
  subgraph: string;
  request: FetchRequest;
  /** The client's operation: entity entries are read and written for queries only. */
  incomingOperation: string | undefined;
  userId: string | null;
  state: RequestCacheState;
  /** Apollo's policy for the whole response, restricted by what is served from cache. */
  policy: RestrictablePolicy | null;
  send(request: FetchRequest): Promise<SentFetch>;
}

/**
 * A subgraph fetch through the caches. Every fetch asks for the identity of the entities it
 * returns (tags). A mutation's fetch then invalidates those entities before its answer goes on, so
 * the next read anywhere misses. An `_entities` fetch of a query is answered entity by entity from
 * the entity cache, sending only the missing representations, each distinct one once.
 */
export async function fetchThroughCache(runtime: CacheRuntime, fetch: SubgraphFetch): Promise<FetchResponse> {
  const query = fetch.request.query;
  if (!query) return (await fetch.send(fetch.request)).response;
  let analysis: FetchAnalysis;
  try {
    analysis = runtime.analyse(fetch.subgraph, query);
  } catch (error) {
    runtime.logger.warn({ err: error, subgraph: fetch.subgraph }, 'subgraph fetch not understood; sent uncached');
    return (await fetch.send(fetch.request)).response;
  }
  const request = { ...fetch.request, query: analysis.query };
  if (analysis.entities && fetch.incomingOperation === 'query')
    return fetchEntities(runtime, fetch, request, analysis.entities);
  const { response } = await fetch.send(request);
  const tags = new Set<string>();
  collectTags(response.data, tags);
  representationTags(runtime, fetch.subgraph, request.variables?.representations, tags);
  for (const tag of tags) fetch.state.tags.add(tag);
  // Before the answer reaches the client: whoever reads next, through any replica, misses.
  if (analysis.kind === OperationTypeNode.MUTATION && tags.size) await runtime.invalidate([...tags], 'mutation');
  return response;
}

/** The tags of the entity representations a fetch sends (with the key fields `subgraph` declares). */
export function representationTags(
  runtime: CacheRuntime,
  subgraph: string,
  representations: unknown,
  into: Set<string>,
): void {
  if (!Array.isArray(representations)) return;
  for (const representation of representations) {
    if (typeof representation !== 'object' || representation === null) continue;
    const record = representation as Record<string, unknown>;
    const tag = representationTag(
      record,
      typeof record.__typename === 'string' ? runtime.model.keyFields(subgraph, record.__typename) : null,
    );
    if (tag) into.add(tag);
  }
}

interface Wanted {
  representation: Record<string, unknown>;
  /** Where it stands in the fetch's representations (several places when repeated). */
  positions: number[];
  base: string;
  fresh: CacheEntry | null;
  stale: CacheEntry | null;
  data: unknown;
  /** The subgraph could not give it (its error is in this fetch's answer). */
  failed: boolean;
}

/** What resolving some entities adds to the fetch's answer beside their data. */
interface Resolution {
  errors: GraphQLFormattedError[];
  extensions?: Record<string, unknown>;
}

async function fetchEntities(
  runtime: CacheRuntime,
  fetch: SubgraphFetch,
  request: FetchRequest,
  entities: NonNullable<FetchAnalysis['entities']>,
): Promise<FetchResponse> {
  const { representations, ...others }: Record<string, unknown> = request.variables ?? {};
  if (!Array.isArray(representations)) return (await fetch.send(request)).response;
  const shape = digest(`${entities.selection}\n${stableJson(others)}`);

  const byJson = new Map<string, Wanted>();
  representations.forEach((representation: unknown, position: number) => {
    const json = stableJson(representation);
    const known = byJson.get(json);
    if (known) known.positions.push(position);
    else {
      const record =
        typeof representation === 'object' && representation !== null
          ? (representation as Record<string, unknown>)
          : {};
      byJson.set(json, {
        representation: record,
        positions: [position],
        base: cacheKeys.entity(runtime.keyPrefix, fetch.subgraph, shape, json),
        fresh: null,
        stale: null,
        data: null,
        failed: false,
      });
    }
  });
  const wanted = [...byJson.values()];
  representationTags(runtime, fetch.subgraph, representations, fetch.state.tags);

  // The planner sends one fetch per path (aliases, lists at several places), in parallel: an entity
  // another fetch of this request is already getting, in the same shape, is awaited, not fetched again.
  const own: Wanted[] = [];
  const borrowed: Array<{ w: Wanted; pending: Promise<{ data: unknown; failed: boolean }> }> = [];
  const settle = new Map<Wanted, (outcome: { data: unknown; failed: boolean }) => void>();
  for (const w of wanted) {
    const pending = fetch.state.inflight.get(w.base);
    if (pending) borrowed.push({ w, pending });
    else {
      own.push(w);
      fetch.state.inflight.set(w.base, new Promise((resolve) => settle.set(w, resolve)));
    }
  }
  runtime.stats.entity.deduplicated += representations.length - wanted.length + borrowed.length;
  const ownResolution = resolve(runtime, fetch, request, others, entities, own).finally(() => {
    for (const w of own) settle.get(w)?.({ data: w.data, failed: w.failed });
  });
  const [resolution] = await Promise.all([
    ownResolution,
    ...borrowed.map(async ({ w, pending }) => {
      const done = await pending;
      w.data = done.failed ? null : structuredClone(done.data);
      w.failed = done.failed;
    }),
  ]);
  // What another fetch could not get (its error went with that fetch), this one asks for itself.
  const retry = borrowed.map(({ w }) => w).filter((w) => w.failed);
  const again = retry.length ? await resolve(runtime, fetch, request, others, entities, retry) : { errors: [] };
  const errors = [...resolution.errors, ...again.errors];
  return {
    data: { _entities: assemble(wanted, representations.length) },
    ...(errors.length ? { errors } : {}),
    ...(resolution.extensions ? { extensions: resolution.extensions } : {}),
  };
}

/** Fills in `list`: fresh copies from the cache, the rest from the subgraph in one request (or stale copies if it fails and may). */
async function resolve(
  runtime: CacheRuntime,
  fetch: SubgraphFetch,
  request: FetchRequest,
  others: Record<string, unknown>,
  entities: NonNullable<FetchAnalysis['entities']>,
  list: Wanted[],
): Promise<Resolution> {
  if (list.length === 0) return { errors: [] };
  const { stats } = runtime;
  await lookUp(runtime, fetch, entities.selection, list);
  const now = Date.now();
  const missing = list.filter((w) => !w.fresh);
  const hits = list.filter((w) => w.fresh);
  stats.entity.hits += hits.length;
  stats.entity.misses += missing.length;
  fetch.state.entityHits += hits.length;
  fetch.state.entityMisses += missing.length;
  for (const w of hits) {
    w.data = w.fresh?.data ?? null;
    for (const tag of w.fresh?.tags ?? []) fetch.state.tags.add(tag);
  }
  if (hits.length)
    fetch.policy?.restrict(
      leastOf(
        hits.map((w) => w.fresh).filter((e): e is CacheEntry => e !== null),
        now,
      ),
    );
  if (missing.length === 0) return { errors: [] };

  const readAt = Date.now();
  const sent = await fetch.send({
    ...request,
    variables: { ...others, representations: missing.map((w) => w.representation) },
  });
  const answered: unknown = sent.response.data?._entities;
  const received: readonly unknown[] | null =
    Array.isArray(answered) && answered.length === missing.length ? answered : null;
  if (received && !sent.response.errors?.length) {
    const hint = hintFromCacheControl(sent.response.http?.headers.get('cache-control'));
    const maxAge = Math.min(hint.maxAge, runtime.config.maxTtlSeconds);
    if (maxAge > 0) runtime.sawScope(fetch.subgraph, entities.selection, hint.scope);
    missing.forEach((w, i) => {
      w.data = received[i] ?? null;
      const tags = new Set<string>();
      collectTags(w.data, tags);
      const own = representationTag(
        w.representation,
        typeof w.representation.__typename === 'string'
          ? runtime.model.keyFields(fetch.subgraph, w.representation.__typename)
          : null,
      );
      if (own) tags.add(own);
      for (const tag of tags) fetch.state.tags.add(tag);
      if (maxAge > 0 && w.data !== null)
        queueWrite(runtime, fetch, w, {
          maxAge,
          scope: hint.scope,
          staleAllowed: entities.staleAllowed,
          readAt,
          tags: [...tags],
        });
    });
    return { errors: [], extensions: sent.response.extensions };
  }
  if (sent.unavailable && entities.staleAllowed && missing.every((w) => w.stale)) {
    for (const w of missing) {
      w.data = w.stale?.data ?? null;
      for (const tag of w.stale?.tags ?? []) fetch.state.tags.add(tag);
    }
    stats.entity.stale += missing.length;
    // Answered from the cache after all: that is what x-cache reports.
    fetch.state.entityMisses -= missing.length;
    fetch.state.entityHits += missing.length;
    fetch.state.stale = true;
    fetch.policy?.restrict({ maxAge: 0 });
    runtime.logger.warn(
      { subgraph: fetch.subgraph, entities: missing.length },
      'subgraph failed; served stale entities',
    );
    return { errors: [] };
  }
  // The subgraph's own errors (or its failure) for the entities it was asked for; cached ones still count.
  missing.forEach((w, i) => {
    w.data = received?.[i] ?? null;
    w.failed = w.data === null;
  });
  return { errors: remapErrors(sent.response.errors ?? [], missing), extensions: sent.response.extensions };
}

/**
 * One MGET for the whole fetch: the public and (signed in) the caller's private entry of each entity,
 * all on one slot. A scope this fetch's selection has never been answered in since the process
 * started is not read (nothing was written in it); before the first answer, both are.
 */
async function lookUp(runtime: CacheRuntime, fetch: SubgraphFetch, selection: string, wanted: Wanted[]): Promise<void> {
  const seen = runtime.scopesSeen(fetch.subgraph, selection);
  const readPrivate = !seen || seen.has('PRIVATE');
  const readPublic = !seen || seen.has('PUBLIC');
  const keysOf = (w: Wanted) =>
    [
      readPrivate ? cacheKeys.scoped(w.base, 'PRIVATE', fetch.userId) : null,
      readPublic ? cacheKeys.scoped(w.base, 'PUBLIC', null) : null,
    ].filter((k): k is string => k !== null);
  const keys = wanted.flatMap(keysOf);
  let values: Array<string | null>;
  try {
    values = await runtime.store.mget(keys);
  } catch (error) {
    runtime.failed('entity', error);
    return;
  }
  const now = Date.now();
  let at = 0;
  for (const w of wanted) {
    const count = keysOf(w).length;
    const picked = pickEntry(values.slice(at, at + count).map(parseEntry), now);
    at += count;
    w.fresh = picked.fresh;
    w.stale = picked.stale;
  }
}

function queueWrite(
  runtime: CacheRuntime,
  fetch: SubgraphFetch,
  w: Wanted,
  entry: { maxAge: number; scope: CacheScope; staleAllowed: boolean; readAt: number; tags: string[] },
): void {
  // PRIVATE without a verified user: nobody it could safely be served to again.
  const key = cacheKeys.scoped(w.base, entry.scope, fetch.userId);
  if (!key) return;
  const ttlSeconds = entry.maxAge + (entry.staleAllowed ? runtime.config.staleIfErrorSeconds : 0);
  // Serialised now: the gateway merges later fetches into these very objects.
  const value = JSON.stringify({
    data: w.data,
    scope: entry.scope,
    freshUntil: entry.readAt + entry.maxAge * 1000,
    tags: entry.tags,
  } satisfies CacheEntry);
  fetch.state.entityWrites.push({ key, value, ttlMs: ttlSeconds * 1000, tags: entry.tags, readAt: entry.readAt });
}

/** The `_entities` list in the order of the fetch's representations; a repeated one gets its own copy. */
function assemble(wanted: readonly Wanted[], length: number): unknown[] {
  const list: unknown[] = new Array<unknown>(length).fill(null);
  for (const w of wanted)
    w.positions.forEach((position, i) => (list[position] = i === 0 ? w.data : structuredClone(w.data)));
  return list;
}

/** A response built from cached entities may be cached as long as the least fresh of them, and only as privately. */
function leastOf(entries: readonly CacheEntry[], now: number): { maxAge: number; scope: CacheScope } {
  return {
    maxAge: Math.min(...entries.map((e) => remainingSeconds(e, now))),
    scope: entries.some((e) => e.scope === 'PRIVATE') ? 'PRIVATE' : 'PUBLIC',
  };
}

/** Errors at `_entities.<i>` of the fetch sent name positions of the full list (each repeat of the entity). */
function remapErrors(errors: readonly GraphQLFormattedError[], missing: readonly Wanted[]): GraphQLFormattedError[] {
  return errors.flatMap((error) => {
    const [root, index, ...rest] = error.path ?? [];
    const w = root === '_entities' && typeof index === 'number' ? missing[index] : undefined;
    if (!w) return [error];
    return w.positions.map((position) => ({ ...error, path: ['_entities', position, ...rest] }));
  });
}
