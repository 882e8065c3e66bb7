import { createRequire } from 'node:module';
import type { IncomingHttpHeaders } from 'node:http';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import type { tracing } from '@opentelemetry/sdk-node';

const TRACER = 'bff-federation';

let enabled = false;

/** True once `startTracing` registered a tracer provider: the hooks below cost nothing until then. */
export function tracingEnabled(): boolean {
  return enabled;
}

/**
 * Tracing is off unless the standard variables ask for it: an OTLP endpoint
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) or an exporter
 * (`OTEL_TRACES_EXPORTER`, e.g. `otlp` or `console`); `OTEL_SDK_DISABLED=true` or
 * `OTEL_TRACES_EXPORTER=none` keep it off.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporter === 'none') return false;
  return Boolean(exporter || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

export interface TracingHandle {
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  env?: NodeJS.ProcessEnv;
  /** Replaces the exporters the OTEL_* variables name (tests: an in-memory exporter). */
  spanProcessors?: tracing.SpanProcessor[];
}

/**
 * Starts OpenTelemetry's Node SDK for this process when the OTEL_* variables ask for it (or a test
 * hands in its processors); null when tracing stays off. Everything else (exporter, endpoint,
 * protocol, headers, sampler, resource attributes, batch delays) comes from the standard OTEL_*
 * variables the SDK reads itself; the service name defaults to the process's own.
 *
 * Spans: the SDK's W3C propagator joins hops; Apollo's gateway emits its own (`gateway.request`,
 * `gateway.plan`, `gateway.fetch` ...) through the global API; Prisma's instrumentation adds each
 * query and its SQL; ioredis' adds each Redis command. Our code adds the HTTP server span of every
 * process, one span per subgraph call (breaker and retry outcome) and the saga's steps.
 */
export async function startTracing(service: string, options: TracingOptions = {}): Promise<TracingHandle | null> {
  const env = options.env ?? process.env;
  if (!options.spanProcessors && !tracingRequested(env)) return null;
  // Loaded only when tracing is on: the SDK and its exporters are heavy for a process that does not trace.
  const [{ NodeSDK }, { IORedisInstrumentation }, { PrismaInstrumentation }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-ioredis'),
    import('@prisma/instrumentation'),
  ]);
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME?.trim() || service,
    ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
    instrumentations: [new IORedisInstrumentation({ requireParentSpan: true }), new PrismaInstrumentation()],
  });
  sdk.start();
  // ioredis is CommonJS and this project imports it as ESM, which require hooks do not see: requiring
  // it once here lets the instrumentation patch its prototype, which the ESM import shares.
  createRequire(import.meta.url)('ioredis');
  enabled = true;
  return {
    async shutdown() {
      enabled = false;
      await sdk.shutdown();
    },
  };
}

export function tracer() {
  return trace.getTracer(TRACER);
}

/** The `traceparent` of a span, as a hop sends it on (W3C Trace Context 00). */
export function traceparentOf(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}`;
}

export interface ServerSpan {
  span: Span;
  context: Context;
  traceparent: string;
}

/** A SERVER span for an incoming request, continuing the caller's trace from its `traceparent`. */
export function startServerSpan(headers: IncomingHttpHeaders, name: string, attributes: Attributes): ServerSpan {
  const parent = propagation.extract(ROOT_CONTEXT, headers);
  const span = tracer().startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  return { span, context: trace.setSpan(parent, span), traceparent: traceparentOf(span) };
}

/** Headers with the current span's trace context: what every outgoing call carries when tracing. */
export function withTraceContext<T extends Record<string, string | string[] | undefined>>(headers: T): T {
  if (!enabled) return headers;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return { ...headers, ...carrier };
}

/**
 * Runs `work` in a span of its own (a child of the current one), recording an exception as the
 * span's error; `describe` adds attributes from the result. Without tracing it just runs `work`.
 */
export async function inSpan<T>(
  name: string,
  attributes: Attributes,
  work: (span: Span | null) => Promise<T>,
  kind: SpanKind = SpanKind.INTERNAL,
): Promise<T> {
  if (!enabled) return work(null);
  return tracer().startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
      throw error;
    } finally {
      span.end();
    }
  });
}

export { SpanKind, SpanStatusCode, type Span };
