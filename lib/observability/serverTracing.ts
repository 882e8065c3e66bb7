import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { runInRequestScope } from './requestScope.ts';
import { startServerSpan, tracingEnabled } from './tracing.ts';

/**
 * Runs one HTTP request's handling inside its request scope (unless `scoped` is false) and, when
 * tracing, inside a SERVER span that continues the caller's `traceparent`; `handle` gets the
 * traceparent this hop stands for (the span's own, or `fallback`'s continuation when tracing is off)
 * for logs and outgoing calls.
 */
export function runTraced(
  req: IncomingMessage,
  res: ServerResponse,
  service: string | undefined,
  fallback: (incoming: string | undefined) => string,
  handle: (traceparent: string) => void,
  scoped = true,
): void {
  (scoped ? runInRequestScope : (run: () => void) => run())(() => {
    if (!tracingEnabled()) {
      const incoming = req.headers.traceparent;
      handle(fallback(Array.isArray(incoming) ? incoming[0] : incoming));
      return;
    }
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    // The route, not the raw path, names the span: a path with ids would make every span name unique.
    const route = ['/graphql', '/health', '/ready', '/metrics'].includes(path) ? path : 'other';
    const server = startServerSpan(req.headers, `${method} ${route}`, {
      'http.request.method': method,
      'http.route': route,
      // The resource names the process; this names the server, which differs when tests run several in one.
      ...(service ? { 'bff.service': service } : {}),
    });
    res.once('close', () => {
      server.span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) server.span.setStatus({ code: SpanStatusCode.ERROR });
      server.span.end();
    });
    context.with(server.context, () => handle(server.traceparent));
  });
}

/**
 * Names the request's server span after its GraphQL operation (`query Dashboard`, `mutation`), as
 * OpenTelemetry's GraphQL conventions do, once Apollo has resolved it. A no-op without tracing.
 */
export function operationSpanPlugin(): ApolloServerPlugin<BaseContext> {
  return {
    requestDidStart() {
      const span = tracingEnabled() ? trace.getActiveSpan() : undefined;
      if (!span) return Promise.resolve();
      return Promise.resolve({
        didResolveOperation({ operation, operationName }) {
          const type = operation?.operation ?? 'unknown';
          span.setAttribute('graphql.operation.type', type);
          if (operationName) span.setAttribute('graphql.operation.name', operationName);
          span.updateName(operationName ? `${type} ${operationName}` : type);
          return Promise.resolve();
        },
      });
    },
  };
}
