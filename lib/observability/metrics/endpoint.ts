import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { metricsVerdict, type MetricsAccess } from './access.ts';

export const METRICS_PATH = '/metrics';

export interface MetricsEndpoint {
  /** The process's service name (`gateway-web`, `orders`...), also on its server spans. */
  service: string;
  registry: Registry;
  access: MetricsAccess;
}

/**
 * Answers `GET /metrics` in Prometheus' text format, or refuses it: 401 without the right bearer
 * token, 404 where metrics are not served (the public port in production, or whenever they have a
 * port of their own). The body of a refusal says nothing about the configuration.
 */
export async function serveMetrics(
  endpoint: MetricsEndpoint,
  req: IncomingMessage,
  res: ServerResponse,
  onMetricsPort: boolean,
): Promise<void> {
  const authorization = req.headers.authorization;
  const verdict = metricsVerdict(endpoint.access, authorization, onMetricsPort);
  res.setHeader('cache-control', 'no-store');
  if (verdict !== 'serve') {
    const status = verdict === 'unauthorized' ? 401 : 404;
    if (status === 401) res.setHeader('www-authenticate', 'Bearer realm="metrics"');
    res.statusCode = status;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(
      JSON.stringify({
        errors: [
          status === 401
            ? { message: 'Metrics need a bearer token', extensions: { code: 'UNAUTHENTICATED' } }
            : { message: `No route for ${METRICS_PATH}`, extensions: { code: 'NOT_FOUND' } },
        ],
      }),
    );
    return;
  }
  if ((req.method ?? 'GET') !== 'GET' && req.method !== 'HEAD') {
    res.statusCode = 405;
    res.setHeader('allow', 'GET, HEAD');
    res.end();
    return;
  }
  const body = await endpoint.registry.metrics();
  res.statusCode = 200;
  res.setHeader('content-type', endpoint.registry.contentType);
  res.end(req.method === 'HEAD' ? undefined : body);
}

export interface RunningMetricsServer {
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** The separate metrics port (`METRICS_PORT`): `/metrics` and nothing else. */
export async function startMetricsServer(endpoint: MetricsEndpoint, host: string): Promise<RunningMetricsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== METRICS_PATH) {
      res.statusCode = 404;
      res.end();
      return;
    }
    serveMetrics(endpoint, req, res, true).catch(() => {
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(endpoint.access.port ?? 0, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
