// The exactness test again on a 3-master Redis Cluster started by this file: two real gateway
// processes connect with REDIS_CLUSTER_NODES, and every rate-limit key carries a hash tag, so the
// multi-key Lua admission (every key of one subject shares its slot) never fails with CROSSSLOT or MOVED.
import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asUser } from './support/auth.ts';
import { uniquePrefix } from './support/databases.ts';
import { distinctDocument, postGraphQL } from './support/gateway.ts';
import { GatewayProcess } from './support/gatewayProcess.ts';
import { freePorts } from './support/ports.ts';
import { deleteKeys, startRedisCluster, uniqueKeyPrefix, type RedisClusterFixture } from './support/redis.ts';
import {
  countSubgraphRequests,
  startSubgraphs,
  type SubgraphFleet,
  type SubgraphRequestCounter,
} from './support/subgraphs.ts';

const ONE_POINT = '{ category(slug: "books") { name } }';
const KEY_PREFIX = uniqueKeyPrefix('ratelimit-cluster');

let fleet: SubgraphFleet;
let cluster: RedisClusterFixture;
let requests: SubgraphRequestCounter;
const processes: GatewayProcess[] = [];

beforeAll(async () => {
  [fleet, cluster] = await Promise.all([startSubgraphs(uniquePrefix('rlcluster')), startRedisCluster()]);
  requests = countSubgraphRequests(fleet);
  const ports = await freePorts(2);
  const env = {
    REDIS_CLUSTER_NODES: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(','),
    REDIS_KEY_PREFIX: KEY_PREFIX,
    // Far above a loaded machine's Redis latency: a timed-out command would (by design) fall back to
    // the per-process insurance limiter, and this test is about the cluster's exactness.
    REDIS_COMMAND_TIMEOUT_MS: '10000',
    RATE_LIMIT_QUERY_POINTS: '100',
    RATE_LIMIT_QUERY_WINDOW_SECONDS: '300',
    RATE_LIMIT_REPLICAS: '2',
    // All 100 admitted requests may land on one process at once, where the default bulkhead (64
    // running, 16 queued) would rightly shed some and a 1.5 s attempt timeout retry some on a loaded
    // machine: room and time for the whole burst, one attempt each, so each admission is one call.
    SUBGRAPH_POLICY: JSON.stringify({
      timeoutMs: 20_000,
      budgetMs: 30_000,
      retry: { maxAttempts: 1 },
      bulkhead: { maxConcurrent: 128, maxQueue: 512 },
    }),
  };
  processes.push(...ports.map((port) => new GatewayProcess('web', port, fleet.urls, env)));
  await Promise.all(processes.map((p) => p.start()));
}, 90_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await fleet?.close();
  await cluster?.close();
});

describe('on a Redis Cluster', () => {
  it('admits exactly L = 100 of N = 500 concurrent one-point queries across two gateway processes', async () => {
    const ready = (await (await fetch(processes[0]!.url.replace('/graphql', '/ready'))).json()) as {
      checks: Record<string, string>;
    };
    expect(ready.checks.redis).toBe('ok');
    const user = await asUser(randomUUID());
    const before = requests.of('products');
    const responses = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        postGraphQL(processes[i % 2]!.url, distinctDocument(ONE_POINT, i), {}, user),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(100);
    expect(statuses.filter((s) => s === 429)).toHaveLength(400);
    // Every admitted request was answered in full (a failed subgraph call would hide in a 200).
    const admittedErrors = responses
      .filter((r) => r.status === 200 && r.body.errors)
      .map((r) => r.body.errors?.[0]?.extensions);
    expect(admittedErrors).toEqual([]);
    expect(
      responses.filter((r) => r.status === 429).every((r) => r.body.errors?.[0]?.extensions?.code === 'RATE_LIMITED'),
    ).toBe(true);
    expect(requests.of('products') - before).toBe(100);

    // The admissions really went to the cluster (not to the insurance limiters): the key is there.
    const client = new Cluster(cluster.nodes);
    try {
      // Until its slots are loaded a cluster client knows no nodes.
      await new Promise((resolve) => client.once('ready', resolve));
      const keys = (await Promise.all(client.nodes('master').map((node) => node.keys(`${KEY_PREFIX}*`)))).flat();
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatch(/\{user:[0-9a-f-]+\}$/);
      // A refused admission spends nothing: the key holds exactly what was admitted.
      expect(Number(await client.get(keys[0]!))).toBe(100);
      expect(await deleteKeys(client, KEY_PREFIX)).toBe(1);
    } finally {
      client.disconnect();
    }
  }, 120_000);

  it('spends an operation budget and a field budget in one script on one slot: exactly 5 of 12 concurrent addReview', async () => {
    const userId = randomUUID();
    const user = await asUser(userId);
    const reviews = fleet.servers.reviews.prisma;
    const products = (
      await reviews.$queryRawUnsafe<Array<{ productId: string }>>(
        `SELECT DISTINCT "productId" FROM "Purchase" ORDER BY 1 LIMIT 12`,
      )
    ).map((r) => r.productId);
    const responses = await Promise.all(
      products.map((p, i) =>
        postGraphQL(
          processes[i % 2]!.url,
          'mutation($p: ID!) { addReview(productId: $p, rating: 5) { id } }',
          { p },
          user,
        ),
      ),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([
      ...Array<number>(5).fill(200),
      ...Array<number>(7).fill(429),
    ]);
    expect(responses.filter((r) => r.status === 200 && r.body.errors)).toEqual([]);
    const written = await reviews.$queryRawUnsafe<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM "Review" WHERE "authorId" = $1::uuid`,
      userId,
    );
    expect(written[0]?.n).toBe(5);
  }, 120_000);
});
