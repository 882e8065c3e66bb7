import { STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { inSpan, SpanKind, withTraceContext, type Logger } from '../observability/index.ts';
import { SubgraphInstances, type InstanceStats, type SubgraphInstance } from './subgraphInstances.ts';
import { SubgraphBreaker, type BreakerStats } from './breaker.ts';
import { Bulkhead, type BulkheadStats } from './bulkhead.ts';
import { CALLER_TIMEOUT_HEADER } from './deadlines.ts';
import { SubgraphCallFailed, SubgraphCallRejected } from './errors.ts';
import { retryWithBackoff, type BackoffPolicy } from './retry.ts';
import type { SubgraphPolicy } from './policy.ts';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
export type FetcherRequestInit = NonNullable<Parameters<Fetcher>[1]>;
export type FetcherResponse = Awaited<ReturnType<Fetcher>>;

/** One logical subgraph call, shared by its attempts. */
export interface CallScope {
  /** Queries only; a mutation, or anything whose kind is unknown, is sent once. */
  retryable: boolean;
  /** No attempt starts or runs past this instant (ms since epoch). */
  deadline: number;
  /** Instances already tried, so a retry goes elsewhere when it can. */
  tried: Set<SubgraphInstance>;
}

/** How one logical call ended, for metrics: `ok`, or the failure / refusal reason in lower case. */
export interface CallRecord {
  subgraph: string;
  seconds: number;
  outcome: string;
  attempts: number;
}

export type CallObserver = (record: CallRecord) => void;

function outcomeOf(error: unknown): string {
  if (error instanceof SubgraphCallFailed || error instanceof SubgraphCallRejected) return error.reason.toLowerCase();
  return 'error';
}

export interface UpstreamStats {
  breaker: BreakerStats;
  bulkhead: BulkheadStats;
  instances: InstanceStats[];
}

const SEND_ONCE: BackoffPolicy = { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 };

/**
 * What one attempt brought back, read to the end within the attempt's timeout (a subgraph that
 * sends headers and then stalls is a timeout too): a 2xx answer already checked to be a GraphQL
 * response and parsed once (`json`), or a 4xx answer as it is (`json` undefined) for the caller to read.
 */
export interface SubgraphAnswer {
  url: string;
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
}

/** A header as one string, repeated values joined as WHATWG `Headers.get` joins them. */
export function headerOf(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Received headers as a WHATWG `Headers` (what Apollo's readers of a response expect). */
export function fetchHeaders(headers: IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) out.append(name, item);
  }
  return out;
}

/** An answer as the fetch Response Apollo's data source reads; the body already parsed stays parsed. */
class BufferedResponse implements FetcherResponse {
  readonly bodyUsed = false;
  readonly redirected = false;
  readonly url: string;
  readonly status: number;
  readonly body: string;
  readonly headers: Headers;
  #parsed: unknown;

  constructor(answer: SubgraphAnswer) {
    this.url = answer.url;
    this.status = answer.status;
    this.body = answer.body;
    this.#parsed = answer.json;
    this.headers = fetchHeaders(answer.headers);
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get statusText(): string {
    return STATUS_CODES[this.status] ?? '';
  }

  // Response's body readers are asynchronous; this body is already buffered. async keeps a parse error a rejection.
  /* eslint-disable @typescript-eslint/require-await */
  async text(): Promise<string> {
    return this.body;
  }

  async json(): Promise<unknown> {
    this.#parsed ??= JSON.parse(this.body);
    return this.#parsed;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return new TextEncoder().encode(this.body).buffer;
  }
  /* eslint-enable @typescript-eslint/require-await */

  clone(): BufferedResponse {
    return this;
  }
}

function isGraphQLResponse(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const { data, errors } = body as { data?: unknown; errors?: unknown };
  if (data === undefined && errors === undefined) return false;
  if (errors !== undefined && !Array.isArray(errors)) return false;
  return data === undefined || data === null || (typeof data === 'object' && !Array.isArray(data));
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${code} ${error.message}` : error.message;
}

/** Statuses that say "this instance cannot serve right now": retried (queries) and counted against it. */
function isServerFailure(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/**
 * The gateway's transport to one subgraph. `call` wraps one logical call: bulkhead → circuit
 * breaker → retries (queries only); `post` is one attempt: an instance chosen by discovery, a
 * timeout inside the request's budget, that instance's keep-alive pool (`send`, the same attempt
 * as a fetch Response for Apollo's data source). Failures leave as
 * SubgraphCallFailed (sent, failed) or SubgraphCallRejected (failed fast); 4xx answers are
 * returned for the data source to read.
 */
export class SubgraphUpstream {
  readonly instances: SubgraphInstances;
  readonly breaker: SubgraphBreaker;
  readonly bulkhead: Bulkhead;
  /** Told about every logical call (metrics); null: nobody listens. */
  observer: CallObserver | null = null;

  constructor(
    readonly name: string,
    urls: readonly string[],
    readonly policy: SubgraphPolicy,
    logger: Logger,
  ) {
    this.instances = new SubgraphInstances(name, urls, policy, logger);
    this.breaker = new SubgraphBreaker(name, policy.breaker, logger);
    this.bulkhead = new Bulkhead(policy.bulkhead.maxConcurrent, policy.bulkhead.maxQueue);
  }

  /** The first instance's URL: what Apollo shows as the data source's URL. */
  get url(): string {
    return this.instances.instances[0]!.url.href;
  }

  scope(retryable: boolean, deadline: number): CallScope {
    return { retryable, deadline, tried: new Set() };
  }

  /** A scope for a call made outside a client request: no budget to share, kind unknown. */
  standaloneScope(): CallScope {
    return this.scope(false, Date.now() + this.policy.budgetMs);
  }

  /** Runs `attempt` as one logical call; each retry runs it again (so per-attempt headers are fresh). */
  async call<T>(scope: CallScope, attempt: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let attempts = 0;
    const counted = () => {
      attempts++;
      return attempt();
    };
    // A span per logical call (when tracing): its attempts' requests are its children's parent.
    return inSpan(
      `subgraph ${this.name}`,
      { 'bff.subgraph': this.name, 'bff.retryable': scope.retryable },
      async (span) => {
        let outcome = 'ok';
        try {
          return await this.#call(scope, counted);
        } catch (error) {
          outcome = outcomeOf(error);
          throw error;
        } finally {
          span?.setAttributes({ 'bff.outcome': outcome, 'bff.attempts': attempts, 'bff.breaker': this.breaker.state });
          this.observer?.({ subgraph: this.name, seconds: (performance.now() - started) / 1000, outcome, attempts });
        }
      },
      SpanKind.CLIENT,
    );
  }

  async #call<T>(scope: CallScope, attempt: () => Promise<T>): Promise<T> {
    // Checked before the breaker: "no instance is healthy" is discovery's verdict, not a failed call.
    if (!this.instances.hasHealthy()) throw new SubgraphCallRejected('NO_HEALTHY_INSTANCE');
    const retried = () =>
      retryWithBackoff(attempt, {
        policy: scope.retryable ? this.policy.retry : SEND_ONCE,
        deadline: scope.deadline,
        shouldRetry: (error) => error instanceof SubgraphCallFailed,
      });
    return this.bulkhead.run(() => this.breaker.run(retried), scope.deadline);
  }

  /** One HTTP exchange with one instance, as a fetch Response (Apollo's data source's fetcher). */
  async send(init: FetcherRequestInit, scope: CallScope): Promise<FetcherResponse> {
    return new BufferedResponse(await this.post(init.headers ?? {}, init.body, scope));
  }

  /**
   * One HTTP exchange with one instance: `body` (serialized once by the caller, whatever the
   * attempts) posted with `headers`, the answer read, checked and parsed without building fetch
   * objects.
   */
  async post(
    headers: Record<string, string>,
    body: string | Buffer | undefined,
    scope: CallScope,
  ): Promise<SubgraphAnswer> {
    const timeoutMs = Math.min(this.policy.timeoutMs, scope.deadline - Date.now());
    if (timeoutMs <= 0) throw new SubgraphCallFailed('TIMEOUT', 'the request budget was spent before this attempt');
    const instance = this.instances.pick(scope.tried);
    scope.tried.add(instance);
    instance.counts.sent++;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const answer = await this.#exchange(
        instance,
        { ...headers, [CALLER_TIMEOUT_HEADER]: String(timeoutMs) },
        body,
        controller.signal,
      );
      this.instances.recordSuccess(instance);
      return answer;
    } catch (error) {
      this.instances.recordFailure(instance);
      if (controller.signal.aborted)
        throw new SubgraphCallFailed(
          'TIMEOUT',
          `${instance.url.origin} did not answer within ${timeoutMs} ms`,
          undefined,
          error,
        );
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  stats(): UpstreamStats {
    return { breaker: this.breaker.stats, bulkhead: this.bulkhead.stats, instances: this.instances.stats() };
  }

  async close(): Promise<void> {
    this.breaker.shutdown();
    await this.instances.close();
  }

  async #exchange(
    instance: SubgraphInstance,
    headers: Record<string, string>,
    body: string | Buffer | undefined,
    signal: AbortSignal,
  ): Promise<SubgraphAnswer> {
    let answer: SubgraphAnswer;
    try {
      const response = await instance.pool.request({
        path: instance.path,
        method: 'POST',
        // The call's span becomes the subgraph's parent (its traceparent replaces the request's).
        headers: withTraceContext(headers),
        body,
        signal,
      });
      answer = {
        url: instance.url.href,
        status: response.statusCode,
        headers: response.headers,
        body: await response.body.text(),
        json: undefined,
      };
    } catch (error) {
      throw new SubgraphCallFailed('UNREACHABLE', `${instance.url.origin}: ${describe(error)}`, undefined, error);
    }
    const origin = instance.url.origin;
    const { status } = answer;
    if (isServerFailure(status))
      throw new SubgraphCallFailed('HTTP_ERROR', `${origin} answered HTTP ${status}`, status);
    if (status >= 400) return answer;
    if (status < 200 || status >= 300)
      throw new SubgraphCallFailed('BAD_RESPONSE', `${origin} answered HTTP ${status}`, status);
    const contentType = headerOf(answer.headers, 'content-type') ?? '';
    if (!/^application\/(graphql-response\+)?json\b/i.test(contentType)) {
      throw new SubgraphCallFailed('BAD_RESPONSE', `${origin} answered with content-type "${contentType}"`);
    }
    try {
      answer.json = JSON.parse(answer.body);
    } catch (error) {
      throw new SubgraphCallFailed('BAD_RESPONSE', `${origin} answered with malformed JSON`, undefined, error);
    }
    if (!isGraphQLResponse(answer.json))
      throw new SubgraphCallFailed('BAD_RESPONSE', `${origin} answered JSON that is not a GraphQL response`);
    return answer;
  }
}
