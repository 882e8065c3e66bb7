// Inbound dedup: identical queries in flight at once run their plan once and share the answer; a
// different caller, different variables or a mutation never share.
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../lib/gateway/index.ts';
import { DEMO_USER_ID, HEAVY_BUYER_ID } from '../lib/seed/index.ts';
import { asUser } from './support/auth.ts';
import { uniquePrefix } from './support/databases.ts';
import { postGraphQL, startTestGateway } from './support/gateway.ts';
import { startSubgraphs, type SubgraphFleet } from './support/subgraphs.ts';

let fleet: SubgraphFleet;
let gateway: RunningGateway;
let productRequests = 0;

beforeAll(async () => {
  fleet = await startSubgraphs(uniquePrefix('inflight'));
  fleet.servers.products.httpServer.on('request', (req: IncomingMessage) => {
    if (req.url?.startsWith('/graphql')) productRequests += 1;
  });
  gateway = await startTestGateway(fleet.urls);
});

afterAll(async () => {
  await gateway?.close();
  await fleet?.close();
});

const CATALOG =
  'query Catalog($first: Int!) { products(first: $first) { edges { node { id name stock { available } } } } }';
const ME = '{ me { id name recommendations(first: 3) { id name } } }';

describe('identical queries in flight', () => {
  it('run once and every caller gets the same answer', async () => {
    const before = gateway.inflightStats();
    productRequests = 0;
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => postGraphQL(gateway.url, CATALOG, { first: 7 })),
    );
    const after = gateway.inflightStats();
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body.data).toEqual(answers[0]?.body.data);
    }
    const executed = after.executed - before.executed;
    const shared = after.shared - before.shared;
    expect(executed + shared).toBe(12);
    expect(shared).toBeGreaterThan(0);
    // One products request per executed plan: shared answers cost the subgraph nothing.
    expect(productRequests).toBe(executed);
  });

  it('never shares across users, variables or mutations', async () => {
    const before = gateway.inflightStats();
    const answers = await Promise.all([
      postGraphQL(gateway.url, ME, {}, await asUser(DEMO_USER_ID)),
      postGraphQL(gateway.url, ME, {}, await asUser(HEAVY_BUYER_ID)),
      postGraphQL(gateway.url, CATALOG, { first: 2 }),
      postGraphQL(gateway.url, CATALOG, { first: 3 }),
    ]);
    expect(gateway.inflightStats().shared - before.shared).toBe(0);
    expect((answers[0]?.body.data?.me as { id: string }).id).toBe(DEMO_USER_ID);
    expect((answers[1]?.body.data?.me as { id: string }).id).toBe(HEAVY_BUYER_ID);
    expect((answers[2]?.body.data?.products as { edges: unknown[] }).edges).toHaveLength(2);
    expect((answers[3]?.body.data?.products as { edges: unknown[] }).edges).toHaveLength(3);

    const mutation = 'mutation { updateProfile(input: { name: "Same Name" }) { name } }';
    const token = await asUser(DEMO_USER_ID);
    const beforeMutations = gateway.inflightStats();
    await Promise.all([postGraphQL(gateway.url, mutation, {}, token), postGraphQL(gateway.url, mutation, {}, token)]);
    const afterMutations = gateway.inflightStats();
    expect(afterMutations.shared - beforeMutations.shared).toBe(0);
    expect(afterMutations.executed - beforeMutations.executed).toBe(0);
  });
});
