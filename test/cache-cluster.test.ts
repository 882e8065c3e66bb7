// The caches on a 3-master Redis Cluster started by this file, through two real gateway processes
// with REDIS_CLUSTER_NODES: response and entity lookups (one MGET each, on one slot), tag indexes
// and invalidation (entries on every slot), domain events and persisted queries all work unchanged.
// A CROSSSLOT error would make the caches fail open (every answer a miss), so the hits prove them.
import { createHash } from 'node:crypto';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, createEventTransport, type EventsConfig } from '../lib/events/index.ts';
import { silentLogger } from '../lib/observability/index.ts';
import { createRedisConnection } from '../lib/redis/index.ts';
import { demoData } from '../lib/seed/index.ts';
import { asUser } from './support/auth.ts';
import { uniquePrefix } from './support/databases.ts';
import { waitFor } from './support/failures.ts';
import { postGraphQL, type GraphQLResponse } from './support/gateway.ts';
import { GatewayProcess } from './support/gatewayProcess.ts';
import { freePorts } from './support/ports.ts';
import { startRedisCluster, uniqueKeyPrefix, type RedisClusterFixture } from './support/redis.ts';
import { startSubgraphs, type SubgraphFleet } from './support/subgraphs.ts';

const KEY_PREFIX = uniqueKeyPrefix('cache-cluster');
const ROUNDS = 50;
const data = demoData();

let fleet: SubgraphFleet;
let cluster: RedisClusterFixture;
let admin: Cluster;
const gateways: GatewayProcess[] = [];

beforeAll(async () => {
  [fleet, cluster] = await Promise.all([startSubgraphs(uniquePrefix('cachecluster')), startRedisCluster()]);
  const ports = await freePorts(2);
  const env = {
    REDIS_CLUSTER_NODES: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(','),
    REDIS_KEY_PREFIX: KEY_PREFIX,
    REDIS_COMMAND_TIMEOUT_MS: '10000',
    CACHE_ENABLED: 'true',
    CACHE_CLOCK_SKEW_MS: '0',
    RATE_LIMIT_ENABLED: 'false',
    EVENTS_BLOCK_MS: '200',
  };
  gateways.push(...ports.map((port) => new GatewayProcess('web', port, fleet.urls, env)));
  await Promise.all(gateways.map((g) => g.start()));
  admin = new Cluster(cluster.nodes);
  await new Promise((resolve) => admin.once('ready', resolve));
}, 120_000);

afterAll(async () => {
  admin?.disconnect();
  await Promise.all(gateways.map((g) => g.stop()));
  await fleet?.close();
  await cluster?.close();
});

const [a, b] = [0, 1];
const url = (i: number) => gateways[i]!.url;

describe('the caches on a Redis Cluster', () => {
  it('serves response and entity hits across replicas', async () => {
    const id = data.products[3]!.id;
    const first = await postGraphQL(
      url(a),
      `{ first: product(id: "${id}") { name stock { available } averageRating } }`,
    );
    expect(first.body.errors).toBeUndefined();
    expect(first.headers.get('x-cache')).toBe('miss');
    // Same operation on the other replica: the response entry.
    const same = await postGraphQL(
      url(b),
      `{ first: product(id: "${id}") { name stock { available } averageRating } }`,
    );
    expect(same.headers.get('x-cache')).toBe('hit');
    // Another operation over the same entities: both entity fetches answered by one MGET each.
    const other = await postGraphQL(
      url(b),
      `{ other: product(id: "${id}") { name stock { available } averageRating } }`,
    );
    expect(other.headers.get('x-cache')).toBe('hit');
    expect(other.body.data?.other).toEqual(first.body.data?.first);

    // Tag indexes and entries really are spread over the masters.
    const perNode = await Promise.all(admin.nodes('master').map((node) => node.keys(`${KEY_PREFIX}*`)));
    expect(perNode.filter((keys) => keys.length > 0).length).toBeGreaterThanOrEqual(2);
  });

  it(`reads nothing stale over ${ROUNDS} mutate-then-read rounds, with the invalidated entries on any slot`, async () => {
    const review = data.reviews[1]!;
    const author = review.authorId;
    const headers = await asUser(author);
    const reads: Array<{
      query: string;
      headers: Record<string, string>;
      name: (body: GraphQLResponse['body']) => unknown;
    }> = [
      { query: '{ me { name } }', headers, name: (body) => (body.data?.me as { name?: string } | undefined)?.name },
      {
        query: `{ review(id: "${review.id}") { author { name } } }`,
        headers: {},
        name: (body) => (body.data?.review as { author?: { name?: string } } | undefined)?.author?.name,
      },
    ];
    let stale = 0;
    let hits = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const name = `Cluster round ${round}`;
      const mutation = await postGraphQL(
        url(round % 2),
        'mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { name } }',
        { input: { name } },
        headers,
      );
      expect(mutation.body.errors).toBeUndefined();
      for (const gateway of [(round + 1) % 2, round % 2]) {
        for (const read of reads) {
          const response = await postGraphQL(url(gateway), read.query, {}, read.headers);
          if (read.name(response.body) !== name) stale += 1;
          if (response.headers.get('x-cache') === 'hit') hits += 1;
        }
      }
    }
    expect(stale).toBe(0);
    expect(hits).toBeGreaterThanOrEqual(ROUNDS * reads.length * 0.9);
  }, 300_000);

  it('drops what a domain event changed (streams and consumer groups on the cluster too)', async () => {
    const id = data.products[8]!.id;
    const STOCK = `{ product(id: "${id}") { stock { available } } }`;
    const before = await postGraphQL(url(a), STOCK);
    expect((await postGraphQL(url(b), STOCK)).headers.get('x-cache')).toBe('hit');
    const [row] = await fleet.servers.inventory.prisma.$queryRawUnsafe<Array<{ available: number; reserved: number }>>(
      `UPDATE "StockItem" SET "onHand" = "onHand" + 3 WHERE "productId" = $1::uuid RETURNING "onHand" - "reserved" AS available, "reserved"`,
      id,
    );
    expect((await postGraphQL(url(b), STOCK)).body).toEqual(before.body);
    const connection = createRedisConnection(
      { kind: 'cluster', nodes: cluster.nodes, keyPrefix: KEY_PREFIX, commandTimeoutMs: 10_000 },
      silentLogger(),
    );
    try {
      expect(await connection.waitUntilReady(10_000)).toBe(true);
      const events: EventsConfig = {
        maxDeliveries: 5,
        claimIdleMs: 1000,
        blockMs: 200,
        batchSize: 50,
        streamMaxLen: 1000,
        relayPollMs: 50,
      };
      await createEventTransport({ redis: connection, config: events, logger: silentLogger() }).publish([
        createEvent(
          'stock.changed',
          { productId: id, available: row!.available, reserved: row!.reserved, delta: 3, reason: 'restocked' },
          { source: 'inventory' },
        ),
      ]);
    } finally {
      await connection.close();
    }
    const available = async (i: number) =>
      ((await postGraphQL(url(i), STOCK)).body.data?.product as { stock: { available: number } }).stock.available;
    await waitFor('the event to reach a gateway', async () => (await available(a)) === row!.available, 30_000, 100);
    expect(await available(b)).toBe(row!.available);
  });

  it('shares persisted queries between the replicas', async () => {
    const query = `{ categories { name } } # ${KEY_PREFIX}`;
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const post = async (i: number, body: Record<string, unknown>) =>
      (await (
        await fetch(url(i), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).json()) as GraphQLResponse['body'];
    const extensions = { persistedQuery: { version: 1, sha256Hash } };
    expect((await post(a, { query, extensions })).errors).toBeUndefined();
    const byHash = await post(b, { extensions });
    expect(byHash.errors).toBeUndefined();
    expect(byHash.data?.categories).toHaveLength(8);
  });
});
