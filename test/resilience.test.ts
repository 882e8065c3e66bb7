// Design for failure at the gateway's subgraph client, against real subgraphs (in-process, and one
// real process that is SIGKILLed mid-load) and in-process fakes for the failures a real process
// cannot be told to produce: hanging, garbage, failing twice then succeeding, slow.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compose } from '../lib/composition.ts';
import type { RunningGateway, SubgraphPolicyOverride } from '../lib/gateway/index.ts';
import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/services.ts';
import { uniquePrefix } from './support/databases.ts';
import {
  hang,
  htmlGarbage,
  proxyTo,
  runLoad,
  startFailureGateway,
  startFakeSubgraph,
  status,
  truncatedJson,
  waitFor,
  type FakeBehaviour,
  type FakeSubgraph,
} from './support/failures.ts';
import { distinctDocument, postGraphQL, type GraphQLResponse } from './support/gateway.ts';
import { freePorts } from './support/ports.ts';
import { SubgraphProcess } from './support/subgraphProcess.ts';
import { startSubgraphs, type SubgraphFleet } from './support/subgraphs.ts';

/** products answers the list; reviews adds each product's rating in a second fetch. */
const PRODUCTS_WITH_RATINGS = '{ products(first: 3) { edges { node { id name averageRating } } } }';

// Far above what a healthy subgraph needs here, even on a busy machine; a hang costs 2 attempts of it.
const TIMEOUT_MS = 1000;

/** Short enough for tests; the shape of the defaults. */
const FAST_POLICY: SubgraphPolicyOverride = {
  timeoutMs: TIMEOUT_MS,
  budgetMs: 2500,
  retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 40 },
  // Long enough that the five fail-fast checks below finish before a half-open probe, even under load.
  breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, rollingWindowMs: 10_000, resetTimeoutMs: 4000 },
  health: { intervalMs: 100, timeoutMs: 1000 },
};

/** Generous: many times the timeout, only there to prove the answer does not wait on the failure. */
const BOUNDED_MS = 10_000;

const prefix = uniquePrefix('resilience');
let fleet: SubgraphFleet;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  fleet = await startSubgraphs(prefix);
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await fleet?.close();
});

async function fake(behaviour: FakeBehaviour): Promise<FakeSubgraph> {
  const server = await startFakeSubgraph(behaviour);
  cleanups.push(() => server.close());
  return server;
}

async function gatewayWith(
  urls: Partial<Record<SubgraphName, string>>,
  policies: Partial<Record<SubgraphName, SubgraphPolicyOverride>>,
  supergraphSdl?: string,
): Promise<RunningGateway> {
  const gateway = await startFailureGateway(
    { ...fleet.urls, ...urls },
    { subgraphPolicies: policies, ...(supergraphSdl ? { supergraphSdl } : {}) },
  );
  cleanups.push(() => gateway.close());
  return gateway;
}

async function timed(url: string, query: string): Promise<{ response: GraphQLResponse; ms: number }> {
  const started = performance.now();
  const response = await postGraphQL(url, query);
  return { response, ms: performance.now() - started };
}

type Edge = { node: { id: string; name: string; averageRating: number | null } };

function productEdges(response: GraphQLResponse): Edge[] {
  return (response.body.data?.products as { edges: Edge[] } | undefined)?.edges ?? [];
}

/** The answer a client must get while reviews fails: products filled, ratings null, one error naming reviews. */
function expectPartialAnswer(response: GraphQLResponse, code: string, reason: string) {
  expect(response.status).toBe(200);
  const edges = productEdges(response);
  expect(edges).toHaveLength(3);
  for (const { node } of edges) {
    expect(node.name).toEqual(expect.any(String));
    expect(node.averageRating).toBeNull();
  }
  expect(response.body.errors).toHaveLength(1);
  expect(response.body.errors?.[0]?.extensions).toMatchObject({ code, serviceName: 'reviews', reason });
  expect(response.body.errors?.[0]?.message).toMatch(/reviews service/);
  expectNothingInternal(response);
}

function expectNothingInternal(response: GraphQLResponse) {
  const text = JSON.stringify(response.body);
  expect(text).not.toMatch(/127\.0\.0\.1|10\.1\.2\.3|localhost|https?:\/\/|stacktrace|ECONN|at [\w.]+ \(|<html/i);
}

function expectComplete(response: GraphQLResponse) {
  expect(response.status).toBe(200);
  expect(response.body.errors).toBeUndefined();
  const edges = productEdges(response);
  expect(edges).toHaveLength(3);
  expect(edges.some(({ node }) => typeof node.averageRating === 'number')).toBe(true);
}

describe.each([
  { failure: 'hangs forever', behaviour: hang, reason: 'TIMEOUT' },
  { failure: 'answers 200 with an HTML page', behaviour: htmlGarbage, reason: 'BAD_RESPONSE' },
  { failure: 'answers with truncated JSON', behaviour: truncatedJson, reason: 'BAD_RESPONSE' },
  { failure: 'answers 503', behaviour: status(503), reason: 'HTTP_ERROR' },
])('a reviews subgraph that $failure', ({ behaviour, reason }) => {
  it('costs only its fields, within bounded time; the breaker opens, fails fast, then closes after recovery', async () => {
    const reviews = await fake(behaviour);
    const gateway = await gatewayWith({ reviews: reviews.url }, { reviews: FAST_POLICY });
    const breaker = () => gateway.upstreams.stats().reviews.breaker;

    const first = await timed(gateway.url, PRODUCTS_WITH_RATINGS);
    expectPartialAnswer(first.response, 'DOWNSTREAM_SERVICE_ERROR', reason);
    expect(first.ms).toBeLessThan(BOUNDED_MS);
    // A query is retried once (maxAttempts 2).
    expect(reviews.received).toBe(2);

    for (let i = 0; i < 5 && breaker().state !== 'open'; i++) {
      expectPartialAnswer(await postGraphQL(gateway.url, PRODUCTS_WITH_RATINGS), 'DOWNSTREAM_SERVICE_ERROR', reason);
    }
    expect(breaker().state).toBe('open');
    expect(breaker().opened).toBe(1);

    // Open: answered at once with SERVICE_UNAVAILABLE, and the subgraph sees none of it.
    const reached = reviews.received;
    for (let i = 0; i < 5; i++) {
      const { response, ms } = await timed(gateway.url, PRODUCTS_WITH_RATINGS);
      expectPartialAnswer(response, 'SERVICE_UNAVAILABLE', 'CIRCUIT_OPEN');
      expect(ms).toBeLessThan(BOUNDED_MS);
    }
    expect(reviews.received).toBe(reached);

    // The subgraph recovers; after resetTimeoutMs one probe closes the circuit.
    reviews.behaviour = proxyTo(fleet.urls.reviews);
    await waitFor('the half-open state', () => breaker().state === 'halfOpen', 15_000);
    expectComplete(await postGraphQL(gateway.url, PRODUCTS_WITH_RATINGS));
    expect(reviews.received).toBe(reached + 1);
    expect(breaker()).toMatchObject({ state: 'closed', opened: 1, halfOpened: 1, closed: 1 });
    for (let i = 0; i < 3; i++) expectComplete(await postGraphQL(gateway.url, PRODUCTS_WITH_RATINGS));
  });
});

describe('a reviews subgraph process killed (SIGKILL) in the middle of 200 requests, 10 at a time', () => {
  it('answers every request with products, errors name reviews, the breaker opens, and closes once it is back', async () => {
    const [port] = await freePorts(1);
    // The fleet already migrated and seeded the reviews database under this file's prefix.
    const reviews = new SubgraphProcess('reviews', port!, prefix);
    cleanups.push(() => reviews.kill('SIGKILL'));
    await reviews.start();
    // Health checks far apart: this test is about the breaker; discovery.test.ts is about health checks.
    const gateway = await gatewayWith(
      { reviews: reviews.url },
      {
        reviews: {
          timeoutMs: 2000,
          budgetMs: 4000,
          retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 40 },
          breaker: { volumeThreshold: 5, errorThresholdPercentage: 50, rollingWindowMs: 10_000, resetTimeoutMs: 1000 },
          health: { intervalMs: 60_000 },
        },
      },
    );
    const breaker = () => gateway.upstreams.stats().reviews.breaker;

    const completionOrder: GraphQLResponse[] = [];
    let killedAt = 0;
    let openedAt = 0;
    const latencies: number[] = [];
    const responses = await runLoad(
      200,
      10,
      async () => {
        const { response, ms } = await timed(gateway.url, PRODUCTS_WITH_RATINGS);
        latencies.push(ms);
        completionOrder.push(response);
        if (!openedAt && breaker().state === 'open') openedAt = performance.now();
        return response;
      },
      (completed) => {
        if (completed === 20) {
          killedAt = performance.now();
          void reviews.kill('SIGKILL');
        }
      },
    );

    expect(responses).toHaveLength(200);
    for (const response of completionOrder.slice(0, 20)) expectComplete(response);
    const failed = responses.filter((r) => r.body.errors);
    expect(failed.length).toBeGreaterThan(100);
    for (const response of responses) {
      expect(response.status).toBe(200);
      expect(productEdges(response).map((e) => e.node.name)).toEqual([
        expect.any(String),
        expect.any(String),
        expect.any(String),
      ]);
      if (!response.body.errors) continue;
      expect(response.body.errors).toHaveLength(1);
      const extensions = response.body.errors[0]?.extensions;
      expect(extensions?.serviceName).toBe('reviews');
      expect(['DOWNSTREAM_SERVICE_ERROR', 'SERVICE_UNAVAILABLE']).toContain(extensions?.code);
      expectNothingInternal(response);
    }
    expect(Math.max(...latencies)).toBeLessThan(BOUNDED_MS);
    expect(breaker().opened).toBeGreaterThanOrEqual(1);
    const failedFast = failed.filter((r) => r.body.errors?.[0]?.extensions?.reason === 'CIRCUIT_OPEN');
    expect(failedFast.length).toBeGreaterThan(0);

    const restartedAt = performance.now();
    await reviews.start();
    const upAt = performance.now();
    await waitFor(
      'the breaker to close after the restart',
      async () => !(await postGraphQL(gateway.url, PRODUCTS_WITH_RATINGS)).body.errors,
      15_000,
      100,
    );
    const closedAt = performance.now();
    expect(breaker().state).toBe('closed');
    expect(breaker().closed).toBeGreaterThanOrEqual(1);
    for (let i = 0; i < 10; i++) expectComplete(await postGraphQL(gateway.url, PRODUCTS_WITH_RATINGS));

    const sorted = [...latencies].sort((a, b) => a - b);
    console.info(
      JSON.stringify({
        figures: 'reviews killed mid-load',
        failedRequests: failed.length,
        failedFast: failedFast.length,
        latencyMs: { p50: Math.round(sorted[100]!), p99: Math.round(sorted[197]!), max: Math.round(sorted[199]!) },
        killToOpenMs: openedAt ? Math.round(openedAt - killedAt) : null,
        restartMs: Math.round(upAt - restartedAt),
        upToClosedMs: Math.round(closedAt - upAt),
      }),
    );
  });
});

describe('the bulkhead', () => {
  it('with cap 2 and queue 2, 7 concurrent calls to a slow subgraph: exactly 3 fail fast, 4 are served', async () => {
    // Slow enough that all 7 are in flight before the first is answered, even on a busy machine.
    const products = await fake(proxyTo(fleet.urls.products, 1500));
    const gateway = await gatewayWith(
      { products: products.url },
      {
        products: {
          timeoutMs: 5000,
          budgetMs: 10_000,
          bulkhead: { maxConcurrent: 2, maxQueue: 2 },
          breaker: { volumeThreshold: 100 },
        },
      },
    );
    const responses = await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        postGraphQL(gateway.url, distinctDocument('{ products(first: 1) { edges { node { id name } } } }', i)),
      ),
    );

    const refused = responses.filter((r) => r.body.errors);
    const served = responses.filter((r) => !r.body.errors);
    expect(refused).toHaveLength(3);
    expect(served).toHaveLength(4);
    for (const response of refused) {
      expect(response.status).toBe(200);
      expect(response.body.errors?.[0]?.extensions).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        serviceName: 'products',
        reason: 'BULKHEAD_FULL',
      });
    }
    for (const response of served) expect(productEdges(response)).toHaveLength(1);
    expect(products.received).toBe(4);
    expect(gateway.upstreams.stats().products.bulkhead).toEqual({ active: 0, queued: 0, rejected: 3 });
  });
});

describe('retries', () => {
  /** A one-subgraph supergraph with a query and a mutation, both served by the fake "users". */
  async function pingGateway(users: FakeSubgraph): Promise<RunningGateway> {
    const composed = compose([
      {
        name: 'users',
        url: users.url,
        sdl: 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@shareable"])\ntype Query { ping: String }\ntype Mutation { touch: String }',
      },
    ]);
    if (!composed.ok) throw new Error(composed.errors.join('; '));
    const urls = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, users.url])) as Record<SubgraphName, string>;
    return gatewayWith(
      urls,
      { users: { retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 40 }, breaker: { volumeThreshold: 100 } } },
      composed.supergraphSdl,
    );
  }

  function failTwiceThenAnswer(users: { failures: number }): FakeBehaviour {
    return (_req, body, res) => {
      if (users.failures > 0) {
        users.failures--;
        res.writeHead(503).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: body.includes('touch') ? { touch: 'done' } : { ping: 'pong' } }));
    };
  }

  it('a query to a subgraph that fails twice then succeeds is answered, after exactly 3 requests', async () => {
    const script = { failures: 2 };
    const users = await fake(failTwiceThenAnswer(script));
    const gateway = await pingGateway(users);
    const response = await postGraphQL(gateway.url, '{ ping }');
    expect(response.body).toEqual({ data: { ping: 'pong' } });
    expect(users.received).toBe(3);
  });

  it('a mutation to it fails after exactly 1 request: mutations are never retried', async () => {
    const script = { failures: 2 };
    const users = await fake(failTwiceThenAnswer(script));
    const gateway = await pingGateway(users);
    const response = await postGraphQL(gateway.url, 'mutation { touch }');
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ touch: null });
    expect(response.body.errors?.[0]?.extensions).toMatchObject({
      code: 'DOWNSTREAM_SERVICE_ERROR',
      serviceName: 'users',
      reason: 'HTTP_ERROR',
    });
    expect(users.received).toBe(1);
  });
});
