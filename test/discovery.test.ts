// Discovery: one subgraph reached by name over two real processes. The gateway balances over them,
// stops sending to the one that was killed once its health check fails, and sends to it again once
// it is back; /ready says per subgraph whether an instance is healthy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayConfigFromEnv, type InstanceStats, type RunningGateway } from '../lib/gateway/index.ts';
import { silentLogger } from '../lib/observability/index.ts';
import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/services.ts';
import { SUBGRAPH_SERVICES } from '../subgraphs/index.ts';
import { webProfile } from '../gateway-web/src/profile.ts';
import { databaseEnv, dropDatabasesWithPrefix, uniquePrefix } from './support/databases.ts';
import { runLoad, startFailureGateway, startFakeSubgraph, waitFor, type FakeSubgraph } from './support/failures.ts';
import { distinctDocument, postGraphQL, type GraphQLResponse } from './support/gateway.ts';
import { freePorts } from './support/ports.ts';
import { SubgraphProcess } from './support/subgraphProcess.ts';

const USERS_QUERY = '{ users(first: 2) { edges { node { id name } } } }';

const prefix = uniquePrefix('discovery');
let a: SubgraphProcess;
let b: SubgraphProcess;
let others: FakeSubgraph;
let gateway: RunningGateway;

beforeAll(async () => {
  const prepared = await SUBGRAPH_SERVICES.users.prepare({
    env: databaseEnv(prefix),
    logger: silentLogger(),
    seedScale: 1,
  });
  await prepared.close();
  const [portA, portB] = await freePorts(2);
  a = new SubgraphProcess('users', portA!, prefix);
  b = new SubgraphProcess('users', portB!, prefix);
  await Promise.all([a.start(), b.start()]);
  // The other subgraphs are not queried here; a healthy stand-in keeps /ready about users alone.
  others = await startFakeSubgraph((_req, _body, res) => {
    res.writeHead(500).end();
  });
  const urls = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, others.url])) as Record<SubgraphName, string>;
  gateway = await startFailureGateway(urls, {
    subgraphInstances: { users: [a.url, b.url] },
    subgraphPolicies: {
      users: {
        // Generous: a freshly restarted process is slow to answer its first queries on a busy machine.
        timeoutMs: 3000,
        budgetMs: 6000,
        retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 40 },
        // A refused connection fails at once whatever the timeout; a generous one keeps a live but busy instance in.
        health: { intervalMs: 100, timeoutMs: 2000, unhealthyThreshold: 2, healthyThreshold: 1 },
        ejection: { consecutiveFailures: 2, durationMs: 1000 },
        // Discovery is under test, not the breaker: a dead instance must not open the circuit.
        breaker: { volumeThreshold: 1000 },
      },
    },
  });
});

afterAll(async () => {
  await gateway?.close();
  await others?.close();
  await Promise.all([a?.kill('SIGKILL'), b?.kill('SIGKILL')]);
  await dropDatabasesWithPrefix(prefix);
});

function instances(): { a: InstanceStats; b: InstanceStats } {
  const [first, second] = gateway.upstreams.stats().users.instances;
  return { a: first!, b: second! };
}

function expectUsers(response: GraphQLResponse) {
  expect(response.status).toBe(200);
  expect(response.body.errors).toBeUndefined();
  expect((response.body.data?.users as { edges: unknown[] }).edges).toHaveLength(2);
}

async function ready(): Promise<{ status: number; checks: Record<string, string> }> {
  const response = await fetch(`${new URL(gateway.url).origin}/ready`);
  return { status: response.status, checks: ((await response.json()) as { checks: Record<string, string> }).checks };
}

describe('two instances of the users subgraph', () => {
  it('are both configured from USERS_URLS', () => {
    const config = gatewayConfigFromEnv(webProfile, { USERS_URLS: `${a.url}, http://127.0.0.1:${b.port}` });
    expect(config.subgraphInstances?.users).toEqual([a.url, b.url]);
    expect(config.subgraphUrls.users).toBe(a.url);
    expect(() => gatewayConfigFromEnv(webProfile, { USERS_URLS: 'http://ok:1, not a url' })).toThrow(
      /USERS_URLS "not a url" is not a URL/,
    );
  });

  it('share the traffic round robin', async () => {
    const before = instances();
    const responses = await runLoad(40, 4, (i) => postGraphQL(gateway.url, distinctDocument(USERS_QUERY, i)));
    responses.forEach(expectUsers);
    const after = instances();
    expect(after.a.sent - before.a.sent).toBe(20);
    expect(after.b.sent - before.b.sent).toBe(20);
    expect(await ready()).toMatchObject({ status: 200, checks: { users: 'ok' } });
  });

  it('one killed mid-load: every request is still answered, and the dead one gets nothing once its health check fails', async () => {
    const responses = await runLoad(
      200,
      10,
      (i) => postGraphQL(gateway.url, distinctDocument(USERS_QUERY, i)),
      (completed) => {
        if (completed === 50) void a.kill('SIGKILL');
      },
    );
    // Queries that were in flight on the killed instance are retried on the other one.
    const failed = responses.filter((r) => r.body.errors);
    expect(failed.length).toBeLessThanOrEqual(10);
    console.info(
      JSON.stringify({
        figures: 'one of two users instances killed mid-load',
        failedRequests: failed.length,
        of: responses.length,
      }),
    );
    responses.forEach((r) => expect(r.status).toBe(200));

    await waitFor('the killed instance to fail its health check', () => !instances().a.healthy, 5000);
    const atEjection = instances();
    const more = await runLoad(50, 5, (i) => postGraphQL(gateway.url, distinctDocument(USERS_QUERY, i)));
    more.forEach(expectUsers);
    const after = instances();
    expect(after.a.sent).toBe(atEjection.a.sent);
    expect(after.b.sent - atEjection.b.sent).toBe(50);
    expect(await ready()).toMatchObject({ status: 200, checks: { users: 'ok (1/2 instances healthy)' } });
  });

  it('the killed one, restarted, receives traffic again', async () => {
    await a.start();
    await waitFor('the restarted instance to pass its health check', () => instances().a.healthy, 5000);
    const before = instances();
    const responses = await runLoad(40, 4, (i) => postGraphQL(gateway.url, distinctDocument(USERS_QUERY, i)));
    responses.forEach(expectUsers);
    const after = instances();
    // Round robin gives it every other first attempt (20); a cold start may cost it a few.
    expect(after.a.sent - before.a.sent).toBeGreaterThanOrEqual(10);
    expect(after.a.succeeded - before.a.succeeded).toBeGreaterThanOrEqual(10);
    expect(after.b.succeeded - before.b.succeeded).toBeGreaterThanOrEqual(15);
    expect(await ready()).toMatchObject({ status: 200, checks: { users: 'ok' } });
  });

  it('both down: /ready says users is unreachable and calls fail fast with SERVICE_UNAVAILABLE', async () => {
    await Promise.all([a.kill('SIGKILL'), b.kill('SIGKILL')]);
    await waitFor(
      'both instances to fail their health checks',
      () => !instances().a.healthy && !instances().b.healthy,
      5000,
    );
    const report = await ready();
    expect(report.status).toBe(503);
    expect(report.checks.users).toBe('unreachable');
    const sent = instances();
    const response = await postGraphQL(gateway.url, USERS_QUERY);
    expect(response.status).toBe(200);
    expect(response.body.errors?.[0]?.extensions).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      serviceName: 'users',
      reason: 'NO_HEALTHY_INSTANCE',
    });
    expect(instances().a.sent + instances().b.sent).toBe(sent.a.sent + sent.b.sent);
  });
});
