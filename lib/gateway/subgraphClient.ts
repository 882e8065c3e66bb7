import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError, OperationTypeNode, type GraphQLFormattedError } from 'graphql';
import type { GatewayGraphQLRequestContext, GatewayHTTPResponse } from '@apollo/server-gateway-interface';
import type { IncomingHttpHeaders } from 'node:http';
import {
  fetchThroughCache,
  type CacheRuntime,
  type FetchRequest,
  type RestrictablePolicy,
  type SentFetch,
} from '../cache/index.ts';
import { isPublicCode } from '../errors.ts';
import type { Logger } from '../observability/index.ts';
import type { GatewayContext } from './context.ts';
import { countRepresentations, dedupeRepresentations, type EntityDedupStats } from './entityDedup.ts';
import type { PlanFetch, PlanFetchSource } from './planExecutor.ts';
import {
  clientErrorFor,
  fetchHeaders,
  headerOf,
  operationKindOf,
  SubgraphCallFailed,
  SubgraphCallRejected,
  type CallScope,
  type FetcherResponse,
  type RequestDeadlines,
  type SubgraphAnswer,
  type SubgraphUpstream,
} from '../transport/index.ts';

type SubgraphResponse = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

/**
 * Carries a call's id from `willSendRequest` through Apollo's `process` to the fetcher, which finds
 * the call's scope by it and removes the header before sending. Not an AsyncLocalStorage: entering
 * one would turn on the tracking of every promise's async context for the rest of the process.
 */
const CALL_HEADER = 'x-bff-call';

/** A subgraph's own answer to a request it refused (HTTP 4xx), carried to `process` to pass on. */
class SubgraphRefusal extends GraphQLError {
  constructor(
    readonly status: number,
    readonly errors: readonly GraphQLFormattedError[],
  ) {
    super(`HTTP ${status}`);
  }
}

/** The call could not get an answer at all: what stale cached copies may stand in for. */
function isUnavailable(error: unknown): boolean {
  return (
    error instanceof SubgraphCallFailed ||
    error instanceof SubgraphCallRejected ||
    (error instanceof SubgraphRefusal && error.status >= 500)
  );
}

/** The refusal a 4xx answer stands for: its GraphQL errors when its body has any. */
function refusalOf(status: number, body: unknown): SubgraphRefusal {
  const errors = typeof body === 'object' && body !== null ? (body as { errors?: unknown }).errors : undefined;
  return new SubgraphRefusal(status, isFormattedErrorList(errors) ? errors : []);
}

/** A received answer's HTTP side as Apollo's responses carry it; `Headers` built only if someone reads them (the entity cache does). */
class ReceivedHttp implements GatewayHTTPResponse {
  #headers: Headers | null = null;

  constructor(
    readonly status: number,
    readonly raw: IncomingHttpHeaders,
  ) {}

  get headers(): Headers {
    this.#headers ??= fetchHeaders(this.raw);
    return this.#headers;
  }
}

/**
 * A subgraph's `cache-control` header as RemoteGraphQLDataSource's `respond` reads it
 * (honorSubgraphCacheControlHeader): no `max-age` is uncacheable, `private`/`public` set the scope.
 */
function cacheHintOf(header: string | null): { maxAge: number; scope?: 'PRIVATE' | 'PUBLIC' } {
  const directives: Record<string, string | true> = {};
  if (header)
    for (const part of header.trim().split(/\s*,\s*/)) {
      const [name = '', value] = part.split(/\s*=\s*/, 2);
      directives[name] = value === undefined ? true : value.replace(/^"|"$/g, '');
    }
  const maxAge = directives['max-age'];
  const hint: { maxAge: number; scope?: 'PRIVATE' | 'PUBLIC' } = {
    maxAge: typeof maxAge === 'string' && /^[0-9]+$/.test(maxAge) ? Number(maxAge) : 0,
  };
  if (directives.private === true) hint.scope = 'PRIVATE';
  if (directives.public === true) hint.scope = 'PUBLIC';
  return hint;
}

function isFormattedErrorList(value: unknown): value is GraphQLFormattedError[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((e) => typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string')
  );
}

export interface SubgraphClientDeps {
  upstream: SubgraphUpstream;
  deadlines: RequestDeadlines;
  logger: Logger;
  /** The gateway's caches (entity cache, tags, invalidation after mutations); absent: every fetch goes out as planned. */
  cache?: CacheRuntime | null;
  /** Representations asked and sent by this client's entity fetches (shared by a gateway's clients). */
  representations?: EntityDedupStats;
}

function isRequestContext(context: object): context is GatewayContext {
  return (
    'signedIdentityHeaders' in context &&
    typeof context.signedIdentityHeaders === 'function' &&
    'traceparent' in context
  );
}

/**
 * The gateway's client for one subgraph: Apollo's data source (request shape, APQ, cache hints) over
 * our transport (lib/transport: bulkhead, breaker, retries for queries, timeouts, instances
 * from discovery). It forwards the correlation id and the caller's identity, and turns every failure
 * into a response whose errors name the service, so the rest of the plan still fills its fields.
 */
export class SubgraphClient extends RemoteGraphQLDataSource<GatewayContext> implements PlanFetchSource {
  readonly #upstream: SubgraphUpstream;
  readonly #deadlines: RequestDeadlines;
  readonly #logger: Logger;
  readonly #cache: CacheRuntime | null;
  readonly #representations: EntityDedupStats;
  /** Scopes of the calls Apollo's `process` is making, by id; and the id of each call's options. */
  readonly #calls = new Map<string, CallScope>();
  readonly #callIds = new WeakMap<object, string>();
  #nextCall = 0;

  constructor({ upstream, deadlines, logger, cache, representations }: SubgraphClientDeps) {
    super({ url: upstream.url });
    this.#upstream = upstream;
    this.#deadlines = deadlines;
    this.#logger = logger;
    this.#cache = cache ?? null;
    this.#representations = representations ?? { asked: 0, sent: 0 };
    this.fetcher = (_url, init = {}) => {
      const { [CALL_HEADER]: call, ...headers } = init.headers ?? {};
      const scope = call === undefined ? undefined : this.#calls.get(call);
      return upstream.send(call === undefined ? init : { ...init, headers }, scope ?? upstream.standaloneScope());
    };
  }

  override willSendRequest(options: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const { request, context } = options;
    const headers = request.http?.headers;
    if (!headers) return;
    const call = this.#callIds.get(options);
    if (call !== undefined) headers.set(CALL_HEADER, call);
    if (!context) return;
    if ('requestId' in context && typeof context.requestId === 'string' && context.requestId)
      headers.set('x-request-id', context.requestId);
    // Health checks and schema loads carry no request context and so no identity; subgraphs refuse them.
    if (!isRequestContext(context)) return;
    headers.set('traceparent', context.traceparent);
    // Signed per call, so a retry or a late call in a long plan still carries a fresh timestamp.
    for (const [name, value] of Object.entries(context.signedIdentityHeaders())) headers.set(name, value);
  }

  /**
   * One subgraph fetch of a plan as one call through the transport. Retries re-run Apollo's whole
   * `process`, so each attempt is signed afresh by `willSendRequest`. Never throws: Apollo would
   * pass a thrown error on without the service's name; a response with errors gets it added and
   * leaves the other fetches of the plan untouched.
   */
  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<SubgraphResponse> {
    // Apollo does not export its request-kind enum; only plan fetches carry the incoming request.
    const incoming = 'incomingRequestContext' in options ? options.incomingRequestContext : null;
    const state = options.context && isRequestContext(options.context) ? options.context.cache?.state : undefined;
    if (!this.#cache || !incoming || !state || !isRequestContext(options.context))
      return (await this.#send(options)).response;
    return fetchThroughCache(this.#cache, {
      subgraph: this.#upstream.name,
      request: options.request,
      incomingOperation: incoming.operation?.operation,
      userId: options.context.userId,
      state,
      policy: incoming.overallCachePolicy as RestrictablePolicy,
      send: (request) => this.#send({ ...options, request }),
    });
  }

  /**
   * A plan fetch from our executor (lib/gateway/planExecutor.ts): what `process` does for a plan
   * fetch (caches, entity dedup, the transport, identity and trace headers, errors naming the
   * service, the subgraph's `cache-control` restricting the response's policy), with the body
   * serialized once for all attempts and the answer parsed once, without Apollo's fetch
   * Request/Response objects.
   */
  async fetchForPlan({ request, operationKind, incomingRequestContext }: PlanFetch): Promise<SubgraphResponse> {
    const retryable = operationKind === OperationTypeNode.QUERY;
    const context = incomingRequestContext.context;
    if (!this.#cache || !isRequestContext(context) || !context.cache)
      return (await this.#post(request, retryable, incomingRequestContext)).response;
    return fetchThroughCache(this.#cache, {
      subgraph: this.#upstream.name,
      request,
      incomingOperation: incomingRequestContext.operation.operation,
      userId: context.userId,
      state: context.cache.state,
      policy: incomingRequestContext.overallCachePolicy as RestrictablePolicy,
      send: (sent) => this.#post(sent, retryable, incomingRequestContext),
    });
  }

  /** `#send` for our executor: one logical call, its attempts posting the same body. */
  async #post(request: FetchRequest, retryable: boolean, incoming: GatewayGraphQLRequestContext): Promise<SentFetch> {
    const scope = this.#upstream.scope(
      retryable,
      this.#deadlines.deadlineFor(incoming, this.#upstream.policy.budgetMs),
    );
    const context = incoming.context as GatewayContext | Record<string, unknown>;
    try {
      const deduped = dedupeRepresentations(request);
      countRepresentations(this.#representations, request, deduped);
      const body = JSON.stringify(deduped ? deduped.request : request);
      const answer = await this.#upstream.call(scope, () => this.#attempt(body, context, scope));
      const response = answer.json as SubgraphResponse;
      response.http = new ReceivedHttp(answer.status, answer.headers);
      const policy = incoming.overallCachePolicy as Partial<RestrictablePolicy> | undefined;
      if (this.honorSubgraphCacheControlHeader && typeof policy?.restrict === 'function')
        policy.restrict(cacheHintOf(headerOf(answer.headers, 'cache-control')));
      return { response: deduped ? deduped.expand(response) : response, unavailable: false };
    } catch (error) {
      return { response: { errors: this.#errorsFor(error, context) }, unavailable: isUnavailable(error) };
    }
  }

  /** One attempt: headers as `willSendRequest` sets them, signed afresh; a 4xx thrown as `process` throws it. */
  async #attempt(
    body: string,
    context: GatewayContext | Record<string, unknown>,
    scope: CallScope,
  ): Promise<SubgraphAnswer> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if ('requestId' in context && typeof context.requestId === 'string' && context.requestId)
      headers['x-request-id'] = context.requestId;
    if (isRequestContext(context)) {
      headers.traceparent = context.traceparent;
      Object.assign(headers, context.signedIdentityHeaders());
    }
    const answer = await this.#upstream.post(headers, body, scope);
    if (answer.status < 400) return answer;
    let refused: unknown;
    try {
      refused = JSON.parse(answer.body);
    } catch {
      refused = null;
    }
    throw refusalOf(answer.status, refused);
  }

  /** One call through the transport; `unavailable` when the subgraph could not answer at all (what stale copies may stand in for). */
  async #send(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<SentFetch> {
    const { request } = options;
    const incoming = 'incomingRequestContext' in options ? options : null;
    const kind = operationKindOf(request.query, incoming?.document, request.operationName);
    const scope = this.#upstream.scope(
      kind === 'query',
      this.#deadlines.deadlineFor(incoming?.incomingRequestContext, this.#upstream.policy.budgetMs),
    );
    const call = String(this.#nextCall++);
    try {
      // Repeated representations go out once, with caches on or off (the entity cache only sees misses).
      const deduped = dedupeRepresentations(request);
      countRepresentations(this.#representations, request, deduped);
      const sent = { ...options, request: deduped ? deduped.request : request };
      this.#calls.set(call, scope);
      this.#callIds.set(sent, call);
      const response = await this.#upstream.call(scope, () => super.process(sent));
      return { response: deduped ? deduped.expand(response) : response, unavailable: false };
    } catch (error) {
      return { response: { errors: this.#errorsFor(error, options.context) }, unavailable: isUnavailable(error) };
    } finally {
      this.#calls.delete(call);
    }
  }

  /** Apollo's default puts the subgraph's URL and raw body in the error; keep its GraphQL errors only. */
  override async errorFromResponse(response: FetcherResponse): Promise<GraphQLError> {
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    return refusalOf(response.status, body);
  }

  #errorsFor(error: unknown, context: GatewayContext | Record<string, unknown> | undefined): GraphQLFormattedError[] {
    const service = this.#upstream.name;
    const requestId = context && 'requestId' in context ? context.requestId : undefined;
    if (error instanceof SubgraphRefusal) {
      if (error.errors.length)
        return error.errors.map(({ message, path, extensions }) => ({ message, path, extensions }));
      this.#logger.warn(
        { requestId, subgraph: service, status: error.status },
        'subgraph refused a request without GraphQL errors',
      );
      return [clientErrorFor(service, new SubgraphCallFailed('HTTP_ERROR', `HTTP ${error.status}`, error.status))];
    }
    if (error instanceof SubgraphCallRejected) {
      this.#logger.debug({ requestId, subgraph: service, reason: error.reason }, 'subgraph call failed fast');
      return [clientErrorFor(service, error)];
    }
    if (error instanceof SubgraphCallFailed) {
      this.#logger.warn(
        { requestId, subgraph: service, reason: error.reason, detail: error.detail },
        'subgraph call failed',
      );
      return [clientErrorFor(service, error)];
    }
    // Ours on purpose (e.g. from willSendRequest) and safe to show: pass it on as it is.
    if (error instanceof GraphQLError && isPublicCode(error.extensions.code))
      return [{ message: error.message, extensions: { code: error.extensions.code } }];
    this.#logger.error({ requestId, subgraph: service, err: error }, 'subgraph call failed unexpectedly');
    return [clientErrorFor(service, null)];
  }
}
