import type { IncomingMessage } from 'node:http';
import type { ApolloServerPlugin, GraphQLRequest } from '@apollo/server';
import { Redis } from 'ioredis';
import { OperationTypeNode, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { bearerToken, type TokenVerifier } from '../auth/index.ts';
import { cacheKeys, type CacheRuntime } from '../cache/index.ts';
import { NegotiatedContentTypes, type FrontHandler, type FrontRequest } from '../http/index.ts';
import type { Logger } from '../observability/index.ts';
import type { GatewayMetrics } from '../observability/metrics/gateway.ts';
import { tracingEnabled } from '../observability/index.ts';
import { rateLimitExtension } from '../ratelimit/plugin.ts';
import { SAME_AS_HELD, spendAndRead, type SpendAndRead } from '../ratelimit/spendAndRead.ts';
import { usageOf, type Admission, type RateLimiter, type RateLimitSubject } from '../ratelimit/index.ts';
import { clientAddress, type TrustedProxies } from './clientIp.ts';
import type { GatewayContext } from './context.ts';
import { HeldEntries, type ReadEntry } from './heldEntries.ts';
import type { RequestAnalyses } from './limits.ts';

/**
 * What the ordinary path learned about one request shape (document or persisted id, operation
 * name, variables) the first time it answered it: enough to answer it again from the response
 * cache without parsing, validating, analysing or planning anything.
 */
interface HitFacts {
  /** The response entry's key before its scope (`cacheKeys.response`), as the response cache computed it. */
  base: string;
  /** Points the query spends (its static cost, at least 1) and its selections of watched fields. */
  cost: number;
  fields: ReadonlyMap<string, number>;
  /** The operation's own name, for metrics. */
  operationName: string | null;
  /** Sent by persisted id rather than by text. */
  persisted: boolean;
}

/** A query about to have its response looked up, on either path: parsed, valid, within the limits, admitted. */
export interface LookedUpQuery {
  request: GraphQLRequest;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** Apollo's hash of the document (its text, or the persisted id). */
  queryHash: string;
  /** The resolved operation's name. */
  operationName: string | null;
}

export interface FastHitStats {
  /** Requests answered before Apollo's pipeline. */
  answered: number;
  /** Requests that entered Apollo's pipeline (parse, validate, plan...): the fast path's misses and everything else. */
  pipelineRuns: number;
  /** Of `answered`, those whose entry Redis did not send again: the gateway's copy was still the stored one. */
  fromHeldCopies: number;
}

export interface FastHitDeps {
  runtime: CacheRuntime;
  /** The one Redis node holding both the entries and the budgets. */
  redis: Redis;
  limiter: RateLimiter | null;
  analyses: RequestAnalyses;
  verifier: TokenVerifier;
  trustedProxies: TrustedProxies | null;
  /**
   * How a persisted id is known: `apq`, registrations in this Redis under `runtime.keyPrefix` (the
   * script checks the registration is still there), `manifest` (immutable, checked at the door), or
   * `none` (registrations live elsewhere: persisted ids take the ordinary path).
   */
  persisted: 'apq' | 'manifest' | 'none';
  metrics: GatewayMetrics | null;
  logger: Logger;
  /** Request shapes remembered (least recently used first out). */
  capacity?: number;
  /** Bytes of response entries held in memory so a hit on an unchanged entry is not sent again (0: none). */
  heldCopyBytes: number;
}

const DEFAULT_CAPACITY = 5_000;
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * The request shape's memo key: a query by its text or a persisted one by id, the operation name
 * as sent, and the variables (keys sorted). Null for anything the fast path does not take: batches,
 * registrations (text and id together), other extensions, malformed fields.
 */
export function shapeKey(body: unknown, forRegistration = false): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const { query, operationName, variables, extensions } = body as Record<string, unknown>;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables)))
    return null;
  let id: string | null = null;
  if (extensions !== undefined && extensions !== null) {
    if (typeof extensions !== 'object' || Array.isArray(extensions)) return null;
    const { persistedQuery, ...others } = extensions as Record<string, unknown>;
    if (Object.keys(others).length > 0 || typeof persistedQuery !== 'object' || persistedQuery === null) return null;
    const { sha256Hash, version } = persistedQuery as Record<string, unknown>;
    if (version !== 1 || typeof sha256Hash !== 'string') return null;
    id = sha256Hash;
  }
  if (id !== null && query !== undefined && !forRegistration) return null;
  const document = id !== null ? `p\n${id}` : typeof query === 'string' ? `q\n${query}` : null;
  if (document === null) return null;
  // The variables as sent (parsed and written again): keys in another order are another shape, learned on its own.
  return `${document}\n${operationName ?? ''}\n${JSON.stringify(variables ?? {})}`;
}

const ENTRY_HEAD = Buffer.from('{"data":');
const SCOPE_MARK = ',"scope":"';
/** What follows the data in a stored entry (`CacheEntry` written by JSON.stringify): scope and freshness, then tags. */
const ENTRY_TAIL = /^,"scope":"(PUBLIC|PRIVATE)","freshUntil":(\d+)[,}]/;

/**
 * A stored response entry (`CacheEntry` JSON, data first) split without decoding its data: the
 * data's JSON bytes as stored, its scope and freshness. Null for anything else (the ordinary path reads it).
 */
export function readEntry(raw: Buffer): ReadEntry | null {
  // Inside JSON strings quotes are escaped, so the last `,"scope":"` is the entry's own.
  const at = raw.lastIndexOf(SCOPE_MARK);
  if (at < ENTRY_HEAD.length || raw.compare(ENTRY_HEAD, 0, ENTRY_HEAD.length, 0, ENTRY_HEAD.length) !== 0) return null;
  const tail = ENTRY_TAIL.exec(raw.toString('latin1', at, at + 64));
  if (!tail) return null;
  return {
    data: raw.subarray(ENTRY_HEAD.length, at),
    scope: tail[1] as 'PUBLIC' | 'PRIVATE',
    freshUntil: Number(tail[2]),
  };
}

/**
 * The response cache's fast path: a query the gateway has answered before (same document or
 * persisted id, operation name and variables) is answered from its cached response before Apollo
 * parses, validates, analyses or plans anything. The caller's token is verified as the ordinary
 * path does (anything but a valid token or none is left to it, which refuses it in its own words);
 * then one script on Redis spends the query's budget and reads the caller's private and the public
 * entry (spending nothing when neither exists); an entry the gateway holds a copy of comes back as
 * "unchanged" when it still is (heldEntries.ts), so only a changed or new entry crosses the wire.
 * The stored data is written as it was stored, with the headers and `extensions.rateLimit` the
 * ordinary path gives a hit.
 *
 * Anything else takes the ordinary path: an unknown shape, GET, an `accept` header whose content
 * type Apollo has not negotiated yet, tracing, a missing or stale entry, a refused budget (nothing
 * was spent), Redis not answering. When the budget was spent but the entry turned out stale, the
 * admission is handed to the ordinary path (`GatewayContext.rateLimit.spentAhead`) so it is not spent twice.
 */
export class FastHitPath {
  readonly stats: FastHitStats = { answered: 0, pipelineRuns: 0, fromHeldCopies: 0 };
  private readonly shapes = new Map<string, HitFacts>();
  private readonly contentTypes = new NegotiatedContentTypes([['', JSON_CONTENT_TYPE]]);
  private readonly spent = new WeakMap<IncomingMessage, Admission>();
  private readonly capacity: number;
  private readonly held: HeldEntries;

  constructor(private readonly deps: FastHitDeps) {
    this.capacity = deps.capacity ?? DEFAULT_CAPACITY;
    this.held = new HeldEntries(deps.heldCopyBytes);
  }

  /** What the fast path spent for a request it then left to the ordinary path (`GatewayContext.rateLimit.spentAhead`). */
  readonly preAdmission = (req: IncomingMessage): Admission | undefined => this.spent.get(req);

  /**
   * Learns request shapes on the ordinary path: a query that got as far as the response cache's
   * lookup is remembered (`learn`). Listed before the response cache's plugin, so it sees every lookup.
   */
  plugin(): ApolloServerPlugin<GatewayContext> {
    return {
      requestDidStart: () => {
        this.stats.pipelineRuns += 1;
        return Promise.resolve({
          responseForOperation: (requestContext) => {
            const { operation, queryHash, request, document, operationName } = requestContext;
            if (operation.operation === OperationTypeNode.QUERY && queryHash)
              this.learn({ request, document, operation, queryHash, operationName });
            return Promise.resolve(null);
          },
        });
      },
    };
  }

  /**
   * Remembers a query's request shape with its cost and entry key the first time it reaches the
   * response cache's lookup, in the pipeline or on the known-query path (which answers most misses
   * once it knows the document, so the shapes it looks up must be learnt from it too).
   */
  learn({ request, document, operation, queryHash, operationName }: LookedUpQuery): void {
    const key = shapeKey(request, true);
    if (key === null || this.shapes.has(key)) return;
    const { runtime, analyses, limiter } = this.deps;
    const analysis = analyses.of({ document, request });
    this.remember(key, {
      base: cacheKeys.response(runtime.keyPrefix, {
        gateway: runtime.gateway,
        queryHash,
        operationName,
        variables: request.variables,
      }),
      cost: Math.max(1, analysis.cost),
      fields: limiter ? usageOf(analysis, limiter.watchedFields).fields : new Map(),
      operationName: operation.name?.value ?? request.operationName ?? null,
      persisted: request.extensions?.persistedQuery !== undefined,
    });
  }

  readonly handler: FrontHandler = {
    answer: (request) => this.answer(request),
    answered: (request, response) => this.contentTypes.learn(request, response),
  };

  private remember(key: string, facts: HitFacts): void {
    // A Map iterates in insertion order: its first key is the oldest.
    if (this.shapes.size >= this.capacity) this.shapes.delete(this.shapes.keys().next().value ?? '');
    this.shapes.set(key, facts);
  }

  private async answer({ req, res, method, body }: FrontRequest): Promise<boolean> {
    const started = performance.now();
    if (method !== 'POST' || tracingEnabled()) return false;
    const key = shapeKey(body);
    const facts = key === null ? undefined : this.shapes.get(key);
    const contentType = this.contentTypes.of({ req });
    if (!facts || !contentType) return false;
    const { deps } = this;
    if (facts.persisted && deps.persisted === 'none') return false;

    let userId: string | null;
    try {
      const token = bearerToken(req.headers.authorization);
      userId = token === null ? null : (await deps.verifier.verify(token)).userId;
    } catch {
      return false;
    }
    const { runtime } = deps;
    const entryKeys = [
      cacheKeys.scoped(facts.base, 'PRIVATE', userId),
      cacheKeys.scoped(facts.base, 'PUBLIC', null),
    ].filter((k): k is string => k !== null);
    const held = entryKeys.map((key) => this.held.get(key));
    const toRead = entryKeys.map((key, i) => ({ key, heldTail: held[i]?.tail ?? null }));
    const required =
      facts.persisted && deps.persisted === 'apq' && body && typeof body === 'object'
        ? [cacheKeys.apq(runtime.keyPrefix, `apq:${persistedId(body)}`)]
        : [];
    const subject: RateLimitSubject = userId ? { userId } : { ip: clientAddress(req, deps.trustedProxies) };

    let admission: Admission | null = null;
    let read: SpendAndRead;
    try {
      if (deps.limiter) {
        const decided = await deps.limiter.admitAlong(
          subject,
          { kind: 'query', cost: facts.cost, fields: facts.fields },
          async (spends, client) => {
            const result = await spendAndRead(client as Redis, spends, required, toRead);
            return { outcome: result.found ? result.outcome : null, extra: result };
          },
        );
        if (!decided) return false;
        admission = decided.admission;
        read = decided.extra;
      } else {
        read = await spendAndRead(deps.redis, [], required, toRead);
      }
    } catch (error) {
      // The ordinary path meets the same failure and deals with it (insurance limits, uncached answers).
      deps.logger.debug({ err: error }, 'response cache fast path skipped');
      return false;
    }
    if (!read.found) return false;
    // Refused: nothing was spent, and the ordinary path refuses it with the limiter's own message.
    if (admission && !admission.admitted) return false;

    const now = Date.now();
    // The caller's private entry first, then the public one (the order of `entryKeys`).
    let entry: ReadEntry | undefined;
    let unchanged = false;
    read.values.forEach((value, i) => {
      const key = entryKeys[i]!;
      let candidate: ReadEntry | null;
      if (value === SAME_AS_HELD) candidate = held[i]?.entry ?? null;
      else {
        // What Redis holds now replaces the copy: held when it is an entry, dropped when gone or not one.
        candidate = value === null ? null : readEntry(value);
        if (value !== null && candidate) this.held.hold(key, value, candidate);
        else this.held.drop(key);
      }
      if (!entry && candidate && candidate.freshUntil > now) {
        entry = candidate;
        unchanged = value === SAME_AS_HELD;
      }
    });
    if (!entry) {
      if (admission) this.spent.set(req, admission);
      return false;
    }

    runtime.stats.response.hits += 1;
    this.stats.answered += 1;
    if (unchanged) this.stats.fromHeldCopies += 1;
    const maxAge = Math.max(0, Math.floor((entry.freshUntil - now) / 1000));
    res.statusCode = 200;
    res.setHeader('cache-control', maxAge > 0 ? `max-age=${maxAge}, ${entry.scope.toLowerCase()}` : 'no-store');
    res.setHeader('x-cache', 'hit');
    res.setHeader('content-type', contentType);
    const rest = Buffer.from(
      admission
        ? `,"extensions":${JSON.stringify({ rateLimit: rateLimitExtension(admission.status, admission.fields) })}}\n`
        : '}\n',
    );
    // A content-length as the ordinary path's answer has; the stored bytes are written as they are
    // held or came from Redis (no copy into one buffer), corked so head, data and tail leave in one write.
    res.setHeader('content-length', ENTRY_HEAD.length + entry.data.length + rest.length);
    res.cork();
    res.write(ENTRY_HEAD);
    res.write(entry.data);
    res.end(rest);
    res.uncork();
    deps.metrics?.recordFastHit({
      operationName: facts.operationName,
      seconds: (performance.now() - started) / 1000,
      admitted: admission !== null,
      persisted: facts.persisted,
    });
    return true;
  }
}

function persistedId(body: object): string {
  const { extensions } = body as { extensions: { persistedQuery: { sha256Hash: string } } };
  return extensions.persistedQuery.sha256Hash;
}

/** The client the fast path can run its script on: one Redis node (never a Cluster: its keys span slots). */
export function singleNode(client: unknown): Redis | null {
  return client instanceof Redis ? client : null;
}
