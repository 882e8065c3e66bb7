import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GatewayConfig, RunningGateway } from '../../lib/gateway/index.ts';
import { silentLogger, type Logger } from '../../lib/observability/index.ts';
import type { SubgraphName } from '../../lib/services.ts';
import { startTestGateway } from './gateway.ts';

/** What a fake subgraph does with a POST to /graphql. */
export type FakeBehaviour = (req: IncomingMessage, body: string, res: ServerResponse) => void | Promise<void>;

/**
 * An HTTP server on 127.0.0.1 that stands in for a subgraph: it counts the GraphQL requests it
 * receives and answers them as told; `/health` answers 200 while `healthy` is true.
 */
export interface FakeSubgraph {
  url: string;
  /** GraphQL requests received so far. */
  received: number;
  behaviour: FakeBehaviour;
  healthy: boolean;
  close(): Promise<void>;
}

export async function startFakeSubgraph(behaviour: FakeBehaviour): Promise<FakeSubgraph> {
  const fake: Omit<FakeSubgraph, 'url' | 'close'> = { received: 0, behaviour, healthy: true };
  const server = createServer((req, res) => {
    if (req.url === '/health') {
      res.statusCode = fake.healthy ? 200 : 503;
      res.end(fake.healthy ? '{"status":"ok"}' : '{"status":"down"}');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      fake.received++;
      Promise.resolve(fake.behaviour(req, Buffer.concat(chunks).toString('utf8'), res)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}/graphql`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

/** Never answers: the socket stays open until the caller gives up. */
export const hang: FakeBehaviour = () => undefined;

/** A 200 that is not GraphQL, naming an internal host a client must never see. */
export const htmlGarbage: FakeBehaviour = (_req, _body, res) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<html><body>502 Bad Gateway from upstream 10.1.2.3:8080</body></html>');
};

/** Claims JSON and sends half of it. */
export const truncatedJson: FakeBehaviour = (_req, _body, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"data":{"_entities":[{"__typename":"Product","averageRat');
};

export function status(code: number): FakeBehaviour {
  return (_req, _body, res) => {
    res.writeHead(code, { 'content-type': 'text/plain' });
    res.end(`HTTP ${code} from 10.1.2.3`);
  };
}

/** Forwards the request, headers included (the gateway's signature stays valid), to a real subgraph. */
export function proxyTo(target: string, delayMs = 0): FakeBehaviour {
  return async (req, body, res) => {
    if (delayMs) await sleep(delayMs);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && name !== 'host' && name !== 'content-length' && name !== 'connection')
        headers[name] = value;
    }
    const response = await fetch(target, { method: 'POST', headers, body });
    const cacheControl = response.headers.get('cache-control');
    // The gateway's caches read a subgraph's cache hints from this header.
    res.writeHead(response.status, {
      'content-type': response.headers.get('content-type') ?? 'application/json',
      ...(cacheControl ? { 'cache-control': cacheControl } : {}),
    });
    res.end(await response.text());
  };
}

export type GatewayOverrides = Partial<GatewayConfig>;

/** A web gateway in this process, with the `upstreams` handle that exposes breaker and instance figures. */
export function startFailureGateway(
  subgraphUrls: Record<SubgraphName, string>,
  overrides: GatewayOverrides = {},
  logger: Logger = silentLogger(),
): Promise<RunningGateway> {
  return startTestGateway(subgraphUrls, { ...overrides, logger });
}

/** Runs `total` calls with at most `concurrency` in flight; `onSettled` sees each completion count. */
export async function runLoad<T>(
  total: number,
  concurrency: number,
  call: (index: number) => Promise<T>,
  onSettled?: (completed: number) => void,
): Promise<T[]> {
  const results: T[] = new Array<T>(total);
  let next = 0;
  let completed = 0;
  const worker = async () => {
    while (next < total) {
      const index = next++;
      results[index] = await call(index);
      onSettled?.(++completed);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

/** Polls `check` every `intervalMs` until it holds; fails after `timeoutMs` with `what` in the message. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}
