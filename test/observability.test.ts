// One correlation id and one W3C trace id follow a request from the client through the gateway to
// every subgraph it calls, and appear on every log line about it.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../lib/http/index.ts';
import { DEMO_USER_ID } from '../lib/seed/index.ts';
import { asUser } from './support/auth.ts';
import { postGraphQL, startTestGateway } from './support/gateway.ts';
import { startSeededSubgraphs } from './support/seededStack.ts';
import type { SubgraphFleet } from './support/subgraphs.ts';

interface LogLine {
  msg?: string;
  path?: string;
  requestId?: string;
  traceId?: string;
  status?: number;
}

function capture() {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

const subgraphLogs = capture();
const gatewayLogs = capture();
let fleet: SubgraphFleet;
let gateway: RunningServer;

beforeAll(async () => {
  fleet = await startSeededSubgraphs({ logger: subgraphLogs.logger });
  gateway = await startTestGateway(fleet.urls, { logger: gatewayLogs.logger });
});

afterAll(async () => {
  await gateway?.close();
  await fleet?.close();
});

const QUERY =
  '{ me { name orders(first: 3) { edges { node { total { amount } payment { status } items { product { name stock { available } averageRating } } } } } } }';

describe('correlation', () => {
  it("carries the client's request id and trace id to every subgraph and every log line", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await postGraphQL(
      gateway.url,
      QUERY,
      {},
      {
        ...(await asUser(DEMO_USER_ID)),
        'x-request-id': 'checkout-page-42',
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
      },
    );
    expect(response.body.errors).toBeUndefined();
    expect(response.headers.get('x-request-id')).toBe('checkout-page-42');

    const mine = (lines: LogLine[]) => lines.filter((l) => l.requestId === 'checkout-page-42');
    const gatewayLines = mine(gatewayLogs.lines);
    expect(gatewayLines.some((l) => l.msg === 'request' && l.path === '/graphql' && l.status === 200)).toBe(true);
    // users, orders, payments, products, inventory, reviews: one logged request each at least.
    const subgraphRequests = mine(subgraphLogs.lines).filter((l) => l.msg === 'request' && l.path === '/graphql');
    expect(subgraphRequests.length).toBeGreaterThanOrEqual(6);
    for (const line of [...gatewayLines, ...mine(subgraphLogs.lines)]) expect(line.traceId).toBe(traceId);
  });

  it('makes up both ids when the client sends none, and still shares them with the subgraphs', async () => {
    const before = subgraphLogs.lines.length;
    const response = await postGraphQL(
      gateway.url,
      '{ products(first: 2) { edges { node { name stock { available } } } } }',
    );
    const requestId = response.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const lines = subgraphLogs.lines.slice(before).filter((l) => l.msg === 'request' && l.path === '/graphql');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(new Set(lines.map((l) => l.requestId))).toEqual(new Set([requestId]));
    const traceIds = new Set(lines.map((l) => l.traceId));
    expect(traceIds.size).toBe(1);
    expect([...traceIds][0]).toMatch(/^[0-9a-f]{32}$/);
  });

  it('does not echo a request id that could forge log lines', async () => {
    const response = await postGraphQL(gateway.url, '{ __typename }', {}, { 'x-request-id': 'evil"\\n{"level":60}' });
    expect(response.headers.get('x-request-id')).not.toContain('evil');
  });
});
