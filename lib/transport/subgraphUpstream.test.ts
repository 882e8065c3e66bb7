import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../observability/index.ts';
import { SubgraphCallFailed, SubgraphCallRejected } from './errors.ts';
import { resolvePolicy, type SubgraphPolicyOverride } from './policy.ts';
import { SubgraphUpstream } from './subgraphUpstream.ts';

const servers: Server[] = [];
const upstreams: SubgraphUpstream[] = [];

afterEach(async () => {
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
  await Promise.all(
    servers.splice(0).map((s) => {
      s.closeAllConnections();
      return new Promise((resolve) => s.close(resolve));
    }),
  );
});

/** A server whose /health answers 200 and whose /graphql does as told; counts GraphQL requests. */
async function server(graphql: RequestListener): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const created = createServer((req, res) => {
    if (req.url === '/health') return void res.end('ok');
    hits++;
    req.resume();
    graphql(req, res);
  });
  servers.push(created);
  await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(created.address() as AddressInfo).port}/graphql`, hits: () => hits };
}

const answer: RequestListener = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"ok":true}}');
};

function upstream(urls: string[], override: SubgraphPolicyOverride = {}): SubgraphUpstream {
  const created = new SubgraphUpstream(
    'users',
    urls,
    resolvePolicy('users', { users: { timeoutMs: 200, breaker: { volumeThreshold: 100 }, ...override } }),
    silentLogger(),
  );
  upstreams.push(created);
  return created;
}

const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ ok }"}' };

async function failureOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SubgraphCallFailed || error instanceof SubgraphCallRejected) return error.reason;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('SubgraphUpstream.send: one attempt', () => {
  it('hands back a GraphQL answer, parsed once, and a 4xx as it is', async () => {
    const ok = upstream([(await server(answer)).url]);
    const response = await ok.send(init, ok.standaloneScope());
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { ok: true } });
    const refusing = upstream([
      (
        await server((_req, res) =>
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"message":"no"}]}'),
        )
      ).url,
    ]);
    expect((await refusing.send(init, refusing.standaloneScope())).status).toBe(401);
  });

  it('times out a subgraph that sends headers and then stalls the body', async () => {
    const stall: RequestListener = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).write('{"data":');
    };
    const stalling = upstream([(await server(stall)).url]);
    const started = Date.now();
    expect(await failureOf(stalling.send(init, stalling.standaloneScope()))).toBe('TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('names each broken answer', async () => {
    const cases: Array<[RequestListener, string]> = [
      [(_req, res) => res.writeHead(502).end('bad gateway'), 'HTTP_ERROR'],
      [(_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('[1,2]'), 'BAD_RESPONSE'],
      [
        (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"hello":"world"}'),
        'BAD_RESPONSE',
      ],
      [(_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('{"data":{}}'), 'BAD_RESPONSE'],
      [(_req, res) => res.writeHead(302, { location: '/elsewhere' }).end(), 'BAD_RESPONSE'],
      [(req) => req.socket.destroy(), 'UNREACHABLE'],
    ];
    for (const [listener, reason] of cases) {
      const broken = upstream([(await server(listener)).url]);
      expect(await failureOf(broken.send(init, broken.standaloneScope()))).toBe(reason);
    }
    const closedPort = upstream(['http://127.0.0.1:1/graphql']);
    expect(await failureOf(closedPort.send(init, closedPort.standaloneScope()))).toBe('UNREACHABLE');
  });
});

describe('SubgraphUpstream.call: a logical call', () => {
  it('retries a query on another instance; a mutation is sent once', async () => {
    const failing = await server((_req, res) => res.writeHead(503).end());
    const healthy = await server(answer);
    const both = upstream([failing.url, healthy.url], { ejection: { consecutiveFailures: 100 } });
    for (let i = 0; i < 4; i++) {
      const scope = both.scope(true, Date.now() + 2000);
      expect((await both.call(scope, () => both.send(init, scope))).status).toBe(200);
    }
    expect(failing.hits() + healthy.hits()).toBe(6);
    expect(failing.hits()).toBe(2);

    const lonely = upstream([failing.url]);
    const mutation = lonely.scope(false, Date.now() + 2000);
    const before = failing.hits();
    expect(await failureOf(lonely.call(mutation, () => lonely.send(init, mutation)))).toBe('HTTP_ERROR');
    expect(failing.hits()).toBe(before + 1);
  });

  it("tells the subgraph how long each attempt waits for it: the attempt's timeout, cut to the budget left", async () => {
    const sent: Array<string | undefined> = [];
    let calls = 0;
    const flaky = await server((req, res) => {
      sent.push(req.headers['x-request-timeout-ms'] as string | undefined);
      calls += 1;
      if (calls === 1) return void res.writeHead(503).end();
      answer(req, res);
    });
    const retried = upstream([flaky.url], {
      timeoutMs: 1000,
      retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 },
    });
    const scope = retried.scope(true, Date.now() + 800);
    await retried.call(scope, () => retried.send(init, scope));
    expect(sent).toHaveLength(2);
    const [first, second] = sent.map(Number);
    // The budget (800 ms) is below the attempt timeout: each attempt says what is left of it.
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(800);
    expect(second).toBeLessThanOrEqual(first!);
    const plain = upstream([flaky.url], { timeoutMs: 1000 });
    const roomy = plain.scope(false, Date.now() + 60_000);
    await plain.call(roomy, () => plain.send(init, roomy));
    expect(sent[2]).toBe('1000');
  });

  it('never lets an attempt run past the deadline of the request', async () => {
    const slow = upstream([(await server(() => undefined)).url], {
      timeoutMs: 5000,
      retry: { maxAttempts: 10, baseDelayMs: 0, maxDelayMs: 0 },
    });
    const scope = slow.scope(true, Date.now() + 300);
    const started = Date.now();
    expect(await failureOf(slow.call(scope, () => slow.send(init, scope)))).toBe('TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
