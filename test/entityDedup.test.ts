// Entity dedup with caches off: a plan's entity fetch sends each distinct representation once (the
// planner asks once per occurrence: every review's author), the answer fills every occurrence, and
// the gateway counts what it was asked and what it sent. Run by our plan executor (its direct calls
// to the transport) and by Apollo's (RemoteGraphQLDataSource.process over the same transport).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../lib/gateway/index.ts';
import { proxyTo, startFakeSubgraph, type FakeSubgraph } from './support/failures.ts';
import { postGraphQL, startTestGateway } from './support/gateway.ts';
import { startSeededSubgraphs } from './support/seededStack.ts';
import type { SubgraphFleet } from './support/subgraphs.ts';

let fleet: SubgraphFleet;
let users: FakeSubgraph;
const gateways: Partial<Record<'own' | 'apollo', RunningGateway>> = {};
/** Every body the users subgraph was sent, through a recording proxy. */
const sentToUsers: Array<{ variables?: { representations?: Array<{ id: string }> } }> = [];

beforeAll(async () => {
  fleet = await startSeededSubgraphs(); // reads only
  const forward = proxyTo(fleet.urls.users);
  users = await startFakeSubgraph((req, body, res) => {
    sentToUsers.push(JSON.parse(body) as (typeof sentToUsers)[number]);
    return forward(req, body, res);
  });
  for (const executor of ['own', 'apollo'] as const)
    gateways[executor] = await startTestGateway({ ...fleet.urls, users: users.url }, { executor });
});

afterAll(async () => {
  await Promise.all(Object.values(gateways).map((gateway) => gateway.close()));
  await users?.close();
  await fleet?.close();
});

const AUTHORS = `{ products(first: 30) { edges { node { id
  reviews(first: 5) { edges { node { id author { id name } } } }
} } } }`;

interface Answer {
  products: {
    edges: Array<{ node: { reviews: { edges: Array<{ node: { author: { id: string; name: string } } }> } } }>;
  };
}

describe.each(['own', 'apollo'] as const)('entity fetches with caches off, %s executor', (executor) => {
  it('send each distinct representation once, fill every occurrence, and are counted', async () => {
    const gateway = gateways[executor]!;
    expect(gateway.cacheStats()).toBeNull();
    const before = gateway.entityDedupStats();
    const first = sentToUsers.length;
    const response = await postGraphQL(gateway.url, AUTHORS);
    expect(response.body.errors).toBeUndefined();
    const authors = (response.body.data as unknown as Answer).products.edges.flatMap((p) =>
      p.node.reviews.edges.map((r) => r.node.author),
    );
    const distinct = new Set(authors.map((a) => a.id));
    // The seed has fewer users than these reviews, so authors repeat: the case under test.
    expect(distinct.size).toBeLessThan(authors.length);
    for (const author of authors) expect(author.name).toEqual(expect.any(String));

    const fetches = sentToUsers.slice(first).map((b) => b.variables?.representations?.map((r) => r.id) ?? []);
    expect(fetches.length).toBeGreaterThan(0);
    for (const ids of fetches) expect(new Set(ids).size).toBe(ids.length);
    expect(fetches.flat().sort()).toEqual([...distinct].sort());

    const after = gateway.entityDedupStats();
    expect(after.asked - before.asked).toBeGreaterThanOrEqual(authors.length);
    expect(after.sent - before.sent).toBeLessThan(after.asked - before.asked);
    expect(gateway.planExecutionStats().own).toBe(executor === 'own' ? 1 : 0);
  });
});
