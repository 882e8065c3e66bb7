import {
  HeaderMap,
  type ApolloServerPlugin,
  type GraphQLRequest,
  type GraphQLRequestContext,
  type GraphQLResponse,
} from '@apollo/server';
import type { GatewayExecutor, GatewayGraphQLRequestContext, GatewayInterface } from '@apollo/server-gateway-interface';
import {
  getVariableValues,
  OperationTypeNode,
  type DocumentNode,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { bearerToken, type TokenVerifier } from '../auth/index.ts';
import type { CacheRuntime } from '../cache/index.ts';
import { asGraphQLError, formatErrorsAsApollo } from '../graphql/apolloErrors.ts';
import { NegotiatedContentTypes, type FrontHandler, type FrontRequest, type RequestInfo } from '../http/index.ts';
import { tracingEnabled, type Logger } from '../observability/index.ts';
import type { GatewayMetrics } from '../observability/metrics/gateway.ts';
import { operationUse, rateLimitExtension, subjectOf } from '../ratelimit/plugin.ts';
import type { RateLimiter } from '../ratelimit/index.ts';
import type { GatewayContext } from './context.ts';
import type { FastHitPath } from './fastHit.ts';
import type { RequestAnalyses } from './limits.ts';
import { mergeRepeatedErrors } from './repeatedErrors.ts';

/**
 * What Apollo's pipeline established about one document and operation name the first time it ran
 * it to execution: parsed, valid against the API schema and the static limits (depth, aliases,
 * directives, tokens), its operation resolved. None of that depends on the variables or the caller.
 */
interface KnownOperation {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  operationName: string | null;
  queryHash: string;
  source: string;
  schema: GraphQLSchema;
  cache: GraphQLRequestContext<GatewayContext>['cache'];
}

export interface KnownOperationStats {
  /** Requests answered through our executor without Apollo's pipeline. */
  answered: number;
  /** Requests that entered Apollo's pipeline: everything the lean path does not take. */
  pipelineRuns: number;
}

export interface KnownOperationDeps {
  analyses: RequestAnalyses;
  limiter: RateLimiter | null;
  /** The gateway's caches when enabled: each request's caching runs here as the response-cache plugin runs it. */
  cache: CacheRuntime | null;
  /** The response cache's fast path, which learns from the lookups made here the request shapes it may answer. */
  fastHit: Pick<FastHitPath, 'learn'> | null;
  verifier: TokenVerifier;
  /** The gateway's own context factory: the same identity, address and signing as Apollo's requests get. */
  context: (info: RequestInfo) => Promise<GatewayContext>;
  /** Apollo's `formatError` (lib/graphql/formatError.ts), applied as Apollo applies it. */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** Whether persisted ids are the manifest's (immutable, so an id names one document forever). */
  manifest: boolean;
  metrics: GatewayMetrics | null;
  logger: Logger;
  /** Operations remembered (least recently learned first out). */
  capacity?: number;
}

const DEFAULT_CAPACITY = 2_000;
const UNCACHEABLE = 'no-store';
/** What the learning hook answers: nothing, so the pipeline goes on to the response cache and execution. */
const NOT_HERE = Promise.resolve(null);

/**
 * The known document's key: the query text or the manifest's id, and the operation name as sent.
 * Null for what the lean path does not take: batches, registrations, APQ ids, other extensions,
 * malformed fields (Apollo answers those in its own words).
 */
export function operationKey(body: unknown, manifest: boolean): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const { query, operationName, variables, extensions } = body as Record<string, unknown>;
  if (operationName !== undefined && typeof operationName !== 'string') return null;
  if (variables !== undefined && (typeof variables !== 'object' || variables === null || Array.isArray(variables)))
    return null;
  // An absent name and an empty one resolve differently (graphql-js looks for an operation named "").
  const name = operationName === undefined ? '\u0000' : operationName;
  if (extensions === undefined) return typeof query === 'string' ? `q\n${name}\n${query}` : null;
  if (!manifest || query !== undefined || typeof extensions !== 'object' || extensions === null) return null;
  const { persistedQuery, ...others } = extensions as Record<string, unknown>;
  if (Object.keys(others).length > 0 || typeof persistedQuery !== 'object' || persistedQuery === null) return null;
  const { sha256Hash, version } = persistedQuery as Record<string, unknown>;
  return version === 1 && typeof sha256Hash === 'string' ? `p\n${name}\n${sha256Hash}` : null;
}

/** Apollo's cache policy (`newCachePolicy`): what subgraph `cache-control` headers restrict. */
function newCachePolicy() {
  return {
    maxAge: undefined as number | undefined,
    scope: undefined as 'PUBLIC' | 'PRIVATE' | undefined,
    restrict(hint: { maxAge?: number; scope?: 'PUBLIC' | 'PRIVATE' }) {
      if (hint.maxAge !== undefined && (this.maxAge === undefined || hint.maxAge < this.maxAge))
        this.maxAge = hint.maxAge;
      if (hint.scope !== undefined && this.scope !== 'PRIVATE') this.scope = hint.scope;
    },
    replace(hint: { maxAge?: number; scope?: 'PUBLIC' | 'PRIVATE' }) {
      if (hint.maxAge !== undefined) this.maxAge = hint.maxAge;
      if (hint.scope !== undefined) this.scope = hint.scope;
    },
    policyIfCacheable() {
      if (this.maxAge === undefined || this.maxAge === 0) return null;
      return { maxAge: this.maxAge, scope: this.scope ?? 'PUBLIC' };
    },
  };
}

/**
 * The lean path for cold requests: a query whose document Apollo's pipeline has parsed, validated
 * and resolved before is run by the gateway's executor (ours, with in-flight sharing) directly,
 * without Apollo's request pipeline, plugin hooks and response formatting. It keeps the ordinary
 * path's rules: the caller's token verified by the same context factory, the limits and the rate
 * limiter reading the one analysis (`RequestAnalyses`), the budget spent in one admission, errors
 * formatted by the same `formatError`, repeated errors merged, `extensions.rateLimit`, the status
 * code, `cache-control` from the subgraphs' hints and the content type Apollo negotiated. With the
 * caches on, the request's caching (lib/cache/requestCaching.ts) is the one the response-cache plugin
 * runs in the pipeline: the response looked up after admission (a hit answers from the entry), the
 * entity cache under the plan's fetches, `x-cache`, the stale marker and the writes at the end.
 *
 * Whatever the lean path would answer differently from the full pipeline it leaves to it, having
 * spent nothing: an unknown document, GET, a new `accept`, tracing, a bad or unverifiable token,
 * variables that do not coerce, an operation the limits refuse, a budget refused or undecidable.
 * A budget the response cache's fast path spent for this request (its entry was unusable) is used,
 * not spent again, as the rate-limit plugin does.
 */
export class KnownOperationPath {
  readonly stats: KnownOperationStats = { answered: 0, pipelineRuns: 0 };
  private readonly known = new Map<string, KnownOperation>();
  private readonly contentTypes = new NegotiatedContentTypes();
  private readonly capacity: number;
  private executor: GatewayExecutor | null = null;

  constructor(private readonly deps: KnownOperationDeps) {
    this.capacity = deps.capacity ?? DEFAULT_CAPACITY;
  }

  /** The gateway as Apollo loads it, handing its executor (the one Apollo's pipeline calls) to the lean path too. */
  sharingExecutor(gateway: GatewayInterface): GatewayInterface {
    return {
      onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
      stop: () => gateway.stop(),
      load: async (options) => {
        const loaded = await gateway.load(options);
        this.executor = loaded.executor;
        return loaded;
      },
    };
  }

  /**
   * Learns documents on the ordinary path: a query POSTed by text (or by the manifest's id) that got
   * as far as execution (or the response cache's lookup, which comes just before it: listed before
   * that plugin, this one sees hits too) has passed parsing, validation and operation resolution,
   * which the same document and operation name always pass again.
   */
  plugin(): ApolloServerPlugin<GatewayContext> {
    return {
      requestDidStart: () => {
        this.stats.pipelineRuns += 1;
        return Promise.resolve({
          responseForOperation: (requestContext) => {
            const { request, operation, document, queryHash, source, schema } = requestContext;
            if (operation.operation !== OperationTypeNode.QUERY || request.http?.method !== 'POST') return NOT_HERE;
            if (!source || !queryHash) return NOT_HERE;
            if (requestContext.metrics.persistedQueryRegister) return NOT_HERE;
            const key = operationKey(request, this.deps.manifest);
            if (key === null || this.known.has(key)) return NOT_HERE;
            if (this.known.size >= this.capacity) this.known.delete(this.known.keys().next().value ?? '');
            this.known.set(key, {
              document,
              operation,
              operationName: requestContext.operationName,
              queryHash,
              source,
              schema,
              cache: requestContext.cache,
            });
            return NOT_HERE;
          },
        });
      },
    };
  }

  readonly handler: FrontHandler = {
    answer: (request) => this.answer(request),
    answered: (request, response) => this.contentTypes.learn(request, response),
  };

  private async answer({ req, res, method, body, info }: FrontRequest): Promise<boolean> {
    const started = performance.now();
    const { executor, deps } = this;
    if (method !== 'POST' || !executor || tracingEnabled()) return false;
    const key = operationKey(body, deps.manifest);
    const known = key === null ? undefined : this.known.get(key);
    const contentType = this.contentTypes.of({ req });
    if (!known || !contentType) return false;
    const sent = body as { query?: string; operationName?: string; variables?: Record<string, unknown> };
    const request: GraphQLRequest = { ...sent };
    const variables = sent.variables ?? {};

    // Anything the pipeline would refuse, it refuses in its own words: nothing is spent here first.
    if (known.operation.variableDefinitions?.length) {
      const coerced = getVariableValues(known.schema, known.operation.variableDefinitions, variables);
      if (coerced.errors) return false;
    }
    if (deps.analyses.refusal({ document: known.document, request })) return false;
    try {
      const token = bearerToken(req.headers.authorization);
      if (token !== null) await deps.verifier.verify(token);
    } catch {
      return false;
    }
    const contextValue = await deps.context(info);
    if (!(await this.admit(known, request, contextValue))) return false;

    this.stats.answered += 1;
    const response: GraphQLResponse = {
      http: { status: undefined, headers: new HeaderMap() },
      body: undefined as never,
    };
    const overallCachePolicy = newCachePolicy();
    const caching = deps.cache?.startRequest(contextValue.userId) ?? null;
    if (caching) contextValue.cache = caching;
    const { document, operation, queryHash, operationName } = known;
    deps.fastHit?.learn({ request, document, operation, queryHash, operationName });
    const hit = await caching?.lookUp(
      { kind: operation.operation, queryHash, operationName, variables: sent.variables },
      overallCachePolicy,
    );
    // A hit is answered as the pipeline answers what a plugin's `responseForOperation` returns: its data alone.
    const single = hit
      ? { data: hit }
      : await this.execute(executor, known, request, contextValue, response, overallCachePolicy);
    const { status, fields } = contextValue.rateLimit;
    if (status) single.extensions = { ...single.extensions, rateLimit: rateLimitExtension(status, fields) };
    response.body = { kind: 'single', singleResult: single };
    const policy = overallCachePolicy.policyIfCacheable();
    await caching?.finish(response.http.headers, single, policy);
    // Apollo's cache-control plugin: the policy (subgraph hints, cached entities, a hit's entry) when
    // the answer has no errors, else no-store.
    response.http.headers.set(
      'cache-control',
      policy && !single.errors ? `max-age=${policy.maxAge}, ${policy.scope.toLowerCase()}` : UNCACHEABLE,
    );
    response.http.headers.set('content-type', contentType);
    deps.metrics?.recordRequest({ request, response, operation: known.operation, contextValue }, started);

    for (const [name, value] of response.http.headers) res.setHeader(name, value);
    res.statusCode = response.http.status ?? 200;
    res.end(JSON.stringify({ errors: single.errors, data: single.data, extensions: single.extensions }) + '\n');
    return true;
  }

  /**
   * Admits the request to the budgets as the rate-limit plugin does; false leaves it to the pipeline
   * (refused, or undecidable), nothing having been spent.
   */
  private async admit(known: KnownOperation, request: GraphQLRequest, contextValue: GatewayContext): Promise<boolean> {
    const { limiter, analyses, logger } = this.deps;
    if (!limiter) return true;
    let admission = contextValue.rateLimit.spentAhead;
    if (!admission) {
      const use = operationUse(analyses.of({ document: known.document, request }), 'query', limiter);
      try {
        admission = await limiter.admit(subjectOf(contextValue), use);
      } catch (error) {
        logger.debug({ err: error }, 'lean path left a request to the pipeline: budgets undecided');
        return false;
      }
    }
    // Refused: nothing was spent, and the pipeline refuses it with the limiter's own message.
    if (!admission.admitted) return false;
    contextValue.rateLimit.decided(admission);
    return true;
  }

  /**
   * Runs the plan through the shared executor and formats its result as Apollo's pipeline does:
   * errors through `formatError` (their status and headers onto `response`), repeated ones merged,
   * 400 for errors without data, 500 when the executor threw.
   */
  private async execute(
    executor: GatewayExecutor,
    known: KnownOperation,
    request: GraphQLRequest,
    contextValue: GatewayContext,
    response: GraphQLResponse,
    overallCachePolicy: ReturnType<typeof newCachePolicy>,
  ): Promise<FormattedExecutionResult> {
    const { deps } = this;
    let result: ExecutionResult;
    let failed = false;
    try {
      result = await executor(this.gatewayRequestContext(known, request, contextValue, response, overallCachePolicy));
    } catch (error) {
      failed = true;
      result = { errors: [asGraphQLError(error)] };
    }
    let errors: GraphQLFormattedError[] | undefined;
    if (result.errors) {
      const formatted = formatErrorsAsApollo(result.errors, deps.formatError);
      errors = formatted.errors;
      if (formatted.status) response.http.status = formatted.status;
      for (const [name, value] of formatted.headers ?? []) response.http.headers.set(name, value);
    }
    if (!failed && errors?.length && result.data === undefined && !response.http.status) response.http.status = 400;
    if (failed && !response.http.status) response.http.status = 500;
    return {
      ...(result as Omit<ExecutionResult, 'errors'>),
      errors: errors && errors.length > 1 ? mergeRepeatedErrors(errors) : errors,
    };
  }

  /** What Apollo's `makeGatewayGraphQLRequestContext` gives the executor, for this request. */
  private gatewayRequestContext(
    known: KnownOperation,
    request: GraphQLRequest,
    contextValue: GatewayContext,
    response: GraphQLResponse,
    overallCachePolicy: ReturnType<typeof newCachePolicy>,
  ): GatewayGraphQLRequestContext {
    return {
      request: { ...request },
      response: {
        http: {
          headers: undefined as never,
          get status() {
            return response.http.status;
          },
          set status(status) {
            response.http.status = status;
          },
        },
      },
      logger: this.deps.logger,
      schema: known.schema,
      schemaHash: 'schemaHash no longer exists since Apollo Server 4' as never,
      context: contextValue,
      cache: known.cache,
      queryHash: known.queryHash,
      document: known.document,
      source: known.source,
      operationName: known.operationName,
      operation: known.operation,
      metrics: {},
      debug: false,
      overallCachePolicy,
      requestIsBatched: false,
    } as GatewayGraphQLRequestContext;
  }
}
