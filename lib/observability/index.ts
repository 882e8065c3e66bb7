export { createLogger, silentLogger, type Logger } from './logger.ts';
export { continueTrace, traceIdOf } from './traceparent.ts';
export { currentRequestScope, runInRequestScope, type RequestScope } from './requestScope.ts';
export {
  inSpan,
  SpanKind,
  SpanStatusCode,
  startServerSpan,
  startTracing,
  tracingEnabled,
  tracingRequested,
  withTraceContext,
  type Span,
  type TracingHandle,
} from './tracing.ts';
