// The subgraphs' lean path runs each repeated query compiled by graphql-jit (lib/subgraph/leanExecution.ts).
// Over the real subgraphs, the real queries the web gateway sends them (catalog pages, dashboards of
// several users, the cart, an order's status, product screens, the bench's deep query, unknown ids)
// must be answered with the same status, headers and bytes as Apollo Server's own pipeline
// (graphql-js) gives: each call the gateway made is sent again, freshly signed, to the compiled fleet
// and to a fleet run with SUBGRAPH_EXECUTION=apollo, twice to each (the first time a text is parsed
// and compiled, the second it runs compiled).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Identity } from '../lib/auth/index.ts';
import { operationsDir, type RunningGateway } from '../lib/gateway/index.ts';
import { DEMO_USER_ID, stableUuid } from '../lib/seed/index.ts';
import type { SubgraphName } from '../lib/services.ts';
import { DEEP_QUERY } from '../bench/scenarios.ts';
import { asUser, gatewaySigned } from './support/auth.ts';
import { proxyTo, startFakeSubgraph, type FakeSubgraph } from './support/failures.ts';
import { postGraphQL, startTestGateway } from './support/gateway.ts';
import { startSeededSubgraphs } from './support/seededStack.ts';
import type { SubgraphFleet } from './support/subgraphs.ts';

interface Call {
  subgraph: SubgraphName;
  body: string;
  identity: Identity | null;
}

let compiled: SubgraphFleet;
let interpreted: SubgraphFleet;
let gateway: RunningGateway;
const proxies: FakeSubgraph[] = [];
const calls: Call[] = [];

const operation = (client: 'web' | 'mobile', name: string) =>
  readFileSync(join(operationsDir(client), `${name}.graphql`), 'utf8');

beforeAll(async () => {
  [compiled, interpreted] = await Promise.all([
    startSeededSubgraphs(),
    startSeededSubgraphs({ env: { SUBGRAPH_EXECUTION: 'apollo' } }),
  ]);
  const urls = {} as Record<SubgraphName, string>;
  for (const [name, url] of Object.entries(compiled.urls) as Array<[SubgraphName, string]>) {
    const forward = proxyTo(url);
    const proxy = await startFakeSubgraph((req, body, res) => {
      const client = req.headers['x-bff-client'];
      const userId = req.headers['x-bff-user-id'];
      calls.push({
        subgraph: name,
        body,
        identity:
          typeof client === 'string'
            ? ({ client, userId: typeof userId === 'string' ? userId : null } as Identity)
            : null,
      });
      return forward(req, body, res);
    });
    proxies.push(proxy);
    urls[name] = proxy.url;
  }
  gateway = await startTestGateway(urls);
}, 180_000);

afterAll(async () => {
  await gateway?.close();
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all([compiled?.close(), interpreted?.close()]);
});

async function answer(url: string, call: Call) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(call.identity ? gatewaySigned(call.identity) : {}) },
    body: call.body,
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    cacheControl: response.headers.get('cache-control'),
    body: await response.text(),
  };
}

describe('graphql-jit in the subgraphs lean path', () => {
  it("answers every call the gateway makes for the clients' operations as Apollo's graphql-js does", async () => {
    const web = (name: string) => operation('web', name);
    const users = [DEMO_USER_ID, stableUuid('user', 1), stableUuid('user', 7), stableUuid('user', 23)];
    const dashboards = await Promise.all(
      users.map(async (user, i) =>
        postGraphQL(gateway.url, web('Dashboard'), { ordersFirst: 3 + i * 4 }, await asUser(user)),
      ),
    );
    for (const d of dashboards) expect(d.body.errors).toBeUndefined();
    const orderIds = (
      dashboards[0]?.body.data as { dashboard: { user: { orders: { edges: Array<{ node: { id: string } }> } } } }
    ).dashboard.user.orders.edges.map((e) => e.node.id);
    expect(orderIds.length).toBeGreaterThan(0);
    const catalog = await postGraphQL(gateway.url, web('Catalog'), { first: 20 });
    expect(catalog.body.errors).toBeUndefined();
    const productIds = (
      catalog.body.data as { products: { edges: Array<{ node: { id: string } }> } }
    ).products.edges.map((e) => e.node.id);
    const demo = await asUser(DEMO_USER_ID);
    const requests: Array<[string, Record<string, unknown>, Record<string, string>?]> = [
      [web('Catalog'), { first: 7, filter: { maxPrice: 40 } }],
      [web('Catalog'), { first: 5, filter: { category: 'no-such-category' } }],
      [web('Catalog'), { first: 4, filter: { search: 'a' } }],
      [web('Cart'), {}, demo],
      [web('OrderStatus'), { id: orderIds[0] }, demo],
      // Another user's order and an unknown one: errors and nulls on the subgraph's side too.
      [web('OrderStatus'), { id: orderIds[0] }, await asUser(stableUuid('user', 2))],
      [web('OrderStatus'), { id: '00000000-0000-4000-8000-00000000abcd' }, demo],
      [operation('mobile', 'Product'), { id: productIds[0] }],
      [operation('mobile', 'Product'), { id: productIds[5] }, demo],
      [operation('mobile', 'Product'), { id: '00000000-0000-4000-8000-00000000abcd' }],
      [DEEP_QUERY, {}],
      [DEEP_QUERY, { filter: { minPrice: 20 } }],
    ];
    for (const [query, variables, headers] of requests) await postGraphQL(gateway.url, query, variables, headers);

    const bySubgraph = new Set(calls.map((c) => c.subgraph));
    expect([...bySubgraph].sort()).toEqual(['inventory', 'orders', 'payments', 'products', 'reviews', 'users']);
    expect(calls.length).toBeGreaterThan(40);
    let withErrors = 0;
    for (const call of calls) {
      for (let time = 0; time < 2; time++) {
        const [mine, apollo] = await Promise.all([
          answer(compiled.urls[call.subgraph], call),
          answer(interpreted.urls[call.subgraph], call),
        ]);
        expect({ subgraph: call.subgraph, call: call.body, ...mine }).toEqual({
          subgraph: call.subgraph,
          call: call.body,
          ...apollo,
        });
        if (time === 0 && apollo.body.includes('"errors"')) withErrors++;
      }
    }
    // The unknown and foreign ids above make some subgraph answers carry errors: that path is covered too.
    expect(withErrors).toBeGreaterThan(0);
  }, 120_000);
});
