import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  HeaderMap,
  type ApolloServer,
  type BaseContext,
  type HTTPGraphQLRequest,
  type HTTPGraphQLResponse,
} from '@apollo/server';
import { ErrorCodes, type ErrorCode } from '../errors.ts';
import { continueTrace, traceIdOf, type Logger } from '../observability/index.ts';
import { serveMetrics, startMetricsServer, type MetricsEndpoint } from '../observability/metrics/endpoint.ts';
import { runTraced } from '../observability/serverTracing.ts';
import { BodyTooLargeError, readBody } from './readBody.ts';

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, string>;
}

/** What a GraphQL context factory gets: the raw request and the correlation id chosen for it. */
export interface RequestInfo {
  req: IncomingMessage;
  requestId: string;
  /** This hop's W3C trace context: the caller's trace continued, or a new one. */
  traceparent: string;
  logger: Logger;
}

export interface GraphQLServerOptions<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  context: (info: RequestInfo) => Promise<TContext>;
  ready: () => Promise<ReadinessReport>;
  logger: Logger;
  port: number;
  host?: string;
  maxBodyBytes?: number;
  /** Extra routes (a playground page and its assets), tried before `/graphql`. */
  pages?: PageHandler;
  /** Refuses a request before Apollo sees it (e.g. an operation not on a safelist); null admits it. */
  admit?: RequestGuard;
  /** `/metrics`: this server's registry and who may read it (on this port, or on `access.port`). */
  metrics?: MetricsEndpoint;
  /** Tried after `admit`, before Apollo: answers what it can without Apollo's pipeline (a cache hit). */
  front?: FrontHandler;
  /**
   * Opens a request scope (lib/observability/requestScope.ts) per request; true by default. A
   * server that reads none (a gateway: no SQL to count) passes false: with no AsyncLocalStorage ever
   * entered, Node does not track the async context of every promise the process creates.
   */
  requestScope?: boolean;
}

/** An admitted GraphQL request as a front handler sees it. */
export interface FrontRequest extends IncomingGraphQLRequest {
  req: IncomingMessage;
  res: ServerResponse;
  info: RequestInfo;
}

export interface FrontHandler {
  /** Answers the request and returns true, or returns false (having written nothing) to leave it to Apollo. */
  answer(request: FrontRequest): Promise<boolean>;
  /** What Apollo answered to a request the handler left to it. */
  answered?(request: FrontRequest, response: HTTPGraphQLResponse): void;
}

/** The GraphQL request as it arrived: the JSON body of a POST, or the query string of a GET. */
export interface IncomingGraphQLRequest {
  method: string;
  body: unknown;
  searchParams: URLSearchParams;
}

export type RequestGuard = (request: IncomingGraphQLRequest) => { code: ErrorCode; message: string } | null;

/** Answers a request and returns true, or returns false to let the server route it. */
export type PageHandler = (req: IncomingMessage, res: ServerResponse, url: RequestUrl) => boolean | Promise<boolean>;

export interface RunningServer {
  url: string;
  port: number;
  httpServer: Server;
  /** The separate metrics port, when `METRICS_PORT` gave one. */
  metricsPort?: number;
  /** Starts a graceful stop: `/ready` answers 503 from now on, requests are still served. */
  drain(): void;
  /**
   * Stops accepting connections, lets the requests in flight finish (for at most `timeoutMs`, then
   * their connections are cut), then stops Apollo.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

const GRAPHQL_PATH = '/graphql';

/**
 * One HTTP server per process: `/graphql` through Apollo's transport-neutral entry point, `/health`
 * (the process is alive) and `/ready` (its dependencies answer). Written on node:http rather than
 * Apollo's standalone server because that one cannot add routes or a body-size error in our format.
 */
export async function startGraphQLServer<TContext extends BaseContext>(
  options: GraphQLServerOptions<TContext>,
): Promise<RunningServer> {
  const { apollo, logger } = options;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  await apollo.start();
  let draining = false;
  const inFlight = new Set<ServerResponse>();

  const routing = { ...options, maxBodyBytes, draining: () => draining };

  const httpServer = createServer((req, res) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    // While stopping, every answer ends its connection, so clients move to another instance.
    if (draining) res.shouldKeepAlive = false;
    const requestId = validRequestId(headerValue(req, 'x-request-id')) ?? randomUUID();
    res.setHeader('x-request-id', requestId);
    // A server span (when tracing) and a request scope (unless turned off) around everything the request runs.
    runTraced(
      req,
      res,
      options.metrics?.service,
      continueTrace,
      (traceparent) => {
        const traceId = traceIdOf(traceparent);
        const info = requestInfo(req, requestId, traceparent, traceId, logger);
        logAccess(req, res, logger, requestId, traceId);
        route(req, res, routing, info).catch((error: unknown) => {
          info.logger.error({ err: error }, 'request failed');
          if (!res.headersSent) sendError(res, 'INTERNAL_SERVER_ERROR', 'Internal server error');
          else res.end();
        });
      },
      options.requestScope ?? true,
    );
  });
  httpServer.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = httpServer.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  const metricsServer =
    options.metrics && options.metrics.access.port !== null
      ? await startMetricsServer(options.metrics, options.host ?? '127.0.0.1').catch(async (error: unknown) => {
          await new Promise((resolve) => httpServer.close(resolve));
          throw error;
        })
      : null;

  return {
    url: `http://${host}:${port}${GRAPHQL_PATH}`,
    port,
    httpServer,
    ...(metricsServer ? { metricsPort: metricsServer.port } : {}),
    drain() {
      draining = true;
    },
    async close({ timeoutMs = 10_000 } = {}) {
      draining = true;
      const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      for (const res of inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
      // Apollo is stopped only once nothing is in flight: it refuses operations once stopping.
      const deadline = Date.now() + timeoutMs;
      while (inFlight.size > 0 && Date.now() < deadline) {
        httpServer.closeIdleConnections();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      if (inFlight.size > 0) logger.warn({ inFlight: inFlight.size, timeoutMs }, 'drain timed out; cutting requests');
      httpServer.closeAllConnections();
      await closed;
      await metricsServer?.close();
      await apollo.stop();
    },
  };
}

async function route<TContext extends BaseContext>(
  req: IncomingMessage,
  res: ServerResponse,
  options: GraphQLServerOptions<TContext> & { maxBodyBytes: number; draining: () => boolean },
  info: RequestInfo,
): Promise<void> {
  const url = requestUrl(req.url);
  if (url.pathname === '/health') return sendJson(res, 200, { status: 'ok' });
  if (url.pathname === '/ready') {
    if (options.draining()) return sendJson(res, 503, { ready: false, checks: { shutdown: 'draining' } });
    // Public: the failing check's name, never its error text (the log has it).
    const report = await options.ready().catch((error: unknown) => {
      info.logger.warn({ err: error }, 'readiness check failed');
      return { ready: false, checks: { self: 'failed' } };
    });
    return sendJson(res, report.ready ? 200 : 503, report);
  }
  if (url.pathname === '/metrics' && options.metrics) return serveMetrics(options.metrics, req, res, false);
  if (options.pages && (await options.pages(req, res, url))) return;
  if (url.pathname !== GRAPHQL_PATH) return sendError(res, 'NOT_FOUND', `No route for ${url.pathname}`);

  const method = (req.method ?? 'GET').toUpperCase();
  let body: unknown;
  if (method === 'POST') {
    const contentType = headerValue(req, 'content-type') ?? '';
    if (!/^application\/(graphql-response\+)?json\b/i.test(contentType)) {
      return sendError(res, 'UNSUPPORTED_MEDIA_TYPE', 'POST requests must have content-type application/json');
    }
    try {
      const raw = await readBody(req, options.maxBodyBytes);
      body = JSON.parse(raw);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        res.setHeader('connection', 'close');
        req.resume();
        return sendError(res, 'PAYLOAD_TOO_LARGE', error.message);
      }
      return sendError(res, 'BAD_REQUEST', 'Request body is not valid JSON');
    }
  }

  const refusal = options.admit?.({ method, body, searchParams: url.searchParams });
  if (refusal) return sendError(res, refusal.code, refusal.message);
  const front: FrontRequest | null = options.front
    ? { method, body, searchParams: url.searchParams, req, res, info }
    : null;
  if (front && (await options.front?.answer(front))) return;

  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }

  const httpGraphQLRequest: HTTPGraphQLRequest = { method, headers, search: url.search, body };
  const response = await options.apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest,
    context: () => options.context(info),
  });
  if (front) options.front?.answered?.(front, response);
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

const BASE_URL = 'http://localhost';
/** What `route` reads of the request's URL; the bare GraphQL path (every POST) is not parsed at all. */
export type RequestUrl = Pick<URL, 'pathname' | 'search' | 'searchParams'>;

/**
 * The request's URL as `new URL` reads it. The bare `/graphql` (every POST a client sends) skips the
 * parser, which costs as much as the rest of a cache hit's routing; anything else is parsed.
 */
export function requestUrl(raw: string | undefined): RequestUrl {
  if (raw === GRAPHQL_PATH) return { pathname: GRAPHQL_PATH, search: '', searchParams: new URLSearchParams() };
  return new URL(raw ?? '/', BASE_URL);
}

/**
 * The request's info for the context factory and the front handler. Its logger (a pino child with
 * both ids) is made on first use: a cache hit that logs nothing but its access line never builds one.
 */
export function requestInfo(
  req: IncomingMessage,
  requestId: string,
  traceparent: string,
  traceId: string,
  logger: Logger,
): RequestInfo {
  let child: Logger | undefined;
  return {
    req,
    requestId,
    traceparent,
    get logger() {
      // Every line logged about this request carries both ids, in every process it crosses.
      child ??= logger.child({ requestId, traceId });
      return child;
    },
  };
}

/** A client's correlation id is echoed into logs and headers, so only a sane token is accepted. */
function validRequestId(value: string | undefined): string | undefined {
  return value && /^[\w.:-]{1,128}$/.test(value) ? value : undefined;
}

/**
 * One access line per request when it ends, carrying the ids a request logger would bind (written
 * through the process logger: no child logger per request); probes at debug so they do not drown the rest.
 */
function logAccess(
  req: IncomingMessage,
  res: ServerResponse,
  logger: Logger,
  requestId: string,
  traceId: string,
): void {
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    const path = (req.url ?? '/').split('?')[0];
    const probe = path === '/health' || path === '/ready';
    if (!logger.isLevelEnabled(probe ? 'debug' : 'info')) return;
    const entry = {
      requestId,
      traceId,
      method: req.method,
      path,
      status: res.statusCode,
      ms: Number(process.hrtime.bigint() - started) / 1e6,
    };
    if (probe) logger.debug(entry, 'request');
    else logger.info(entry, 'request');
  });
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.end(JSON.stringify(payload));
}

/** Errors that end a request before GraphQL runs, in the GraphQL response format. */
export function sendError(res: ServerResponse, code: ErrorCode, message: string): void {
  sendJson(res, ErrorCodes[code].status, { errors: [{ message, extensions: { code } }] });
}
