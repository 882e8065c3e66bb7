// Two real gateway processes sharing one Redis, as replicas do: a persisted query registered through
// one runs by its hash through the other, and after a mutation through either, the next read through
// the other never sees the old value (500 mutate-then-read rounds), while the caches do serve hits.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoData } from '../lib/seed/index.ts';
import { asUser } from './support/auth.ts';
import { uniquePrefix } from './support/databases.ts';
import { postGraphQL, type GraphQLResponse } from './support/gateway.ts';
import { GatewayProcess } from './support/gatewayProcess.ts';
import { freePorts } from './support/ports.ts';
import { deleteKeys, TEST_REDIS_URL, uniqueKeyPrefix } from './support/redis.ts';
import { startSubgraphs, type SubgraphFleet } from './support/subgraphs.ts';

const KEY_PREFIX = uniqueKeyPrefix('cache-processes');
const ROUNDS = 500;
const data = demoData();

let fleet: SubgraphFleet;
const gateways: GatewayProcess[] = [];

beforeAll(async () => {
  fleet = await startSubgraphs(uniquePrefix('cacheproc'));
  const ports = await freePorts(2);
  const env = {
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: KEY_PREFIX,
    // Above a loaded machine's Redis latency: a timeout skips the cache (by design) and would weaken the hit count.
    REDIS_COMMAND_TIMEOUT_MS: '5000',
    CACHE_ENABLED: 'true',
    // Both replicas on one host read one clock: no allowance needed, so a read right after a mutation is cached too.
    CACHE_CLOCK_SKEW_MS: '0',
    // 500 mutations from one user are far over its budget; rate limits have tests of their own.
    RATE_LIMIT_ENABLED: 'false',
  };
  gateways.push(...ports.map((port) => new GatewayProcess('web', port, fleet.urls, env)));
  await Promise.all(gateways.map((g) => g.start()));
}, 120_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await fleet?.close();
  const admin = new Redis(TEST_REDIS_URL);
  await deleteKeys(admin, KEY_PREFIX);
  admin.disconnect();
});

async function persisted(url: string, sha256Hash: string, query?: string): Promise<GraphQLResponse['body']> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...(query ? { query } : {}), extensions: { persistedQuery: { version: 1, sha256Hash } } }),
  });
  return (await response.json()) as GraphQLResponse['body'];
}

describe('gateway replicas sharing Redis', () => {
  it('runs a query registered through one replica by its hash through the other', async () => {
    const query = `{ categories { slug } } # ${KEY_PREFIX}`;
    const hash = createHash('sha256').update(query).digest('hex');
    expect((await persisted(gateways[1]!.url, hash)).errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const registered = await persisted(gateways[0]!.url, hash, query);
    expect(registered.errors).toBeUndefined();
    const byHash = await persisted(gateways[1]!.url, hash);
    expect(byHash.errors).toBeUndefined();
    expect(byHash.data).toEqual(registered.data);
  });

  it(`reads nothing stale over ${ROUNDS} mutate-then-read rounds across the two processes`, async () => {
    const review = data.reviews[0]!;
    const author = review.authorId;
    const reader = data.users.find((u) => u.id !== author)!.id;
    const [asAuthor, asReader] = await Promise.all([asUser(author), asUser(reader)]);
    // A private response, a public response, and a public entity inside another subgraph's answer.
    const reads: Array<{
      query: string;
      headers: Record<string, string>;
      name: (body: GraphQLResponse['body']) => unknown;
    }> = [
      { query: '{ me { name } }', headers: asAuthor, name: (b) => (b.data?.me as { name?: string } | undefined)?.name },
      {
        query: `{ user(id: "${author}") { name } }`,
        headers: {},
        name: (b) => (b.data?.user as { name?: string } | undefined)?.name,
      },
      {
        query: `{ review(id: "${review.id}") { rating author { name } } }`,
        headers: asReader,
        name: (b) => (b.data?.review as { author?: { name?: string } } | undefined)?.author?.name,
      },
    ];
    let stale = 0;
    let hits = 0;
    const errors: unknown[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const [writer, other] = round % 2 === 0 ? [gateways[0]!, gateways[1]!] : [gateways[1]!, gateways[0]!];
      const name = `Round ${round} ${KEY_PREFIX}`;
      const mutation = await postGraphQL(
        writer.url,
        'mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { name } }',
        { input: { name } },
        asAuthor,
      );
      if (mutation.body.errors) errors.push(mutation.body.errors);
      // Each read through the other replica first (it must miss the old entries), then again through
      // the writer (which may now hit what the first read cached): both must show the new name.
      for (const gateway of [other, writer]) {
        for (const read of reads) {
          const response = await postGraphQL(gateway.url, read.query, {}, read.headers);
          if (response.body.errors) errors.push(response.body.errors);
          if (read.name(response.body) !== name) stale += 1;
          if (response.headers.get('x-cache') === 'hit') hits += 1;
        }
      }
    }
    expect(errors).toEqual([]);
    expect(stale).toBe(0);
    // The caches were really in the way: every second read of each round could be a hit.
    expect(hits).toBeGreaterThanOrEqual(ROUNDS * reads.length * 0.9);
  }, 600_000);
});
