// One backend per frontend: each gateway's own BFF subgraph defines its dashboard; the query planner
// fetches the parts from the domain subgraphs in parallel, with a request count that does not grow
// with the user's order count; mobile's answer is a fraction of web's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Supergraph, operationFromDocument } from '@apollo/federation-internals';
import { QueryPlanner, prettyFormatQueryPlan } from '@apollo/query-planner';
import { devToken } from '../lib/auth/index.ts';
import { gatewaySupergraphPath } from '../lib/composition.ts';
import { operationsDir, type PersistedQueryManifest } from '../lib/gateway/index.ts';
import type { RunningServer } from '../lib/http/index.ts';
import { demoData, DEMO_USER_ID, HEAVY_BUYER_ID, LIGHT_BUYER_ID, salesOrders } from '../lib/seed/index.ts';
import { PROFILES, postGraphQL, startTestGateway, type GraphQLResponse } from './support/gateway.ts';
import { startSeededSubgraphs } from './support/seededStack.ts';
import { countSubgraphRequests, type SubgraphFleet, type SubgraphRequestCounter } from './support/subgraphs.ts';

const WEB_DASHBOARD = readFileSync(join(operationsDir('web'), 'Dashboard.graphql'), 'utf8');
const MOBILE_MANIFEST = (PROFILES.mobile.operations as { manifest: PersistedQueryManifest }).manifest;
const MOBILE_DASHBOARD_ID = MOBILE_MANIFEST.operations.find((o) => o.name === 'Dashboard')?.id ?? '';

let fleet: SubgraphFleet;
let web: RunningServer;
let mobile: RunningServer;
let requests: SubgraphRequestCounter;

beforeAll(async () => {
  fleet = await startSeededSubgraphs();
  requests = countSubgraphRequests(fleet);
  web = await startTestGateway(fleet.urls);
  mobile = await startTestGateway(fleet.urls, { name: 'mobile' });
});

afterAll(async () => {
  await web?.close();
  await mobile?.close();
  await fleet?.close();
});

async function auth(userId: string) {
  return { authorization: `Bearer ${await devToken(userId)}` };
}

async function postPersisted(
  url: string,
  id: string,
  headers: Record<string, string>,
  variables: Record<string, unknown> = {},
): Promise<GraphQLResponse & { bytes: number }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ variables, extensions: { persistedQuery: { version: 1, sha256Hash: id } } }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: JSON.parse(text) as GraphQLResponse['body'],
    bytes: Buffer.byteLength(text),
  };
}

async function webDashboard(userId: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(web.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(await auth(userId)) },
    body: JSON.stringify({ query: WEB_DASHBOARD, variables }),
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as GraphQLResponse['body'], bytes: Buffer.byteLength(text) };
}

interface WebUser {
  name: string;
  email: string;
  orders: {
    totalCount: number;
    edges: Array<{
      node: {
        statusLabel: string;
        items: Array<{
          product: { name: string; imageUrl: string; price: { amount: number }; stock: { available: number } };
        }>;
        payment: { status: string } | null;
      };
    }>;
  };
  recommendations: Array<{
    name: string;
    averageRating: number | null;
    reviewCount: number;
    stock: { available: number };
  }>;
  spending: { total: { amount: number }; orderCount: number };
  favouriteCategory: { name: string } | null;
}

describe('web dashboard', () => {
  it('shows the signed-in user everything the web app needs, computed from the domain data', async () => {
    const { status, body } = await webDashboard(DEMO_USER_ID);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const user = (body.data?.dashboard as { user: WebUser }).user;
    expect(user.name).toBe('Ada Lovelace');
    expect(user.email).toContain('@example.com');
    // A dozen orders of imported history and the one placed through checkout.
    expect(user.orders.totalCount).toBe(13);
    expect(user.orders.edges).toHaveLength(10);
    for (const { node } of user.orders.edges) {
      expect(node.statusLabel.length).toBeGreaterThan(0);
      expect(node.payment?.status).toMatch(/CAPTURED|REFUNDED|DECLINED/);
      for (const item of node.items) {
        expect(item.product.name.length).toBeGreaterThan(0);
        expect(item.product.imageUrl).toMatch(/^https:\/\//);
        expect(item.product.stock.available).toBeGreaterThanOrEqual(0);
      }
    }
    expect(user.recommendations).toHaveLength(10);
    expect(user.recommendations.every((r) => typeof r.reviewCount === 'number')).toBe(true);

    // Spending over the last 30 days, recomputed here from the same demo data.
    const data = demoData(1);
    const since = Date.now() - 30 * 86_400_000;
    const recent = salesOrders(data).filter((o) => o.userId === DEMO_USER_ID && o.createdAt.getTime() >= since);
    expect(user.spending.orderCount).toBe(recent.length);
    expect(Math.round(user.spending.total.amount * 100)).toBe(recent.reduce((sum, o) => sum + o.totalCents, 0));

    const unitsByCategory = new Map<string, number>();
    const categoryOf = new Map(data.products.map((p) => [p.id, p.categoryId]));
    for (const order of salesOrders(data).filter((o) => o.userId === DEMO_USER_ID)) {
      for (const item of order.items) {
        const category = categoryOf.get(item.productId) as string;
        unitsByCategory.set(category, (unitsByCategory.get(category) ?? 0) + item.quantity);
      }
    }
    const [favouriteId] = [...unitsByCategory].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? [];
    expect(user.favouriteCategory?.name).toBe(data.categories.find((c) => c.id === favouriteId)?.name);
  });

  it('pages through the order history', async () => {
    const first = await webDashboard(HEAVY_BUYER_ID, { ordersFirst: 50 });
    const orders = (
      first.body.data?.dashboard as {
        user: { orders: { edges: unknown[]; pageInfo: { endCursor: string; hasNextPage: boolean } } };
      }
    ).user.orders;
    expect(orders.edges).toHaveLength(50);
    expect(orders.pageInfo.hasNextPage).toBe(true);
    const second = await webDashboard(HEAVY_BUYER_ID, { ordersFirst: 50, ordersAfter: orders.pageInfo.endCursor });
    const rest = (
      second.body.data?.dashboard as { user: { orders: { edges: unknown[]; pageInfo: { hasNextPage: boolean } } } }
    ).user.orders;
    expect(rest.edges).toHaveLength(10);
    expect(rest.pageInfo.hasNextPage).toBe(false);
  });

  it('costs the same number of subgraph requests for a user with 2 orders as for one with 60', async () => {
    const count = async (userId: string) => {
      requests.reset();
      const { body } = await webDashboard(userId, { ordersFirst: 100 });
      expect(body.errors).toBeUndefined();
      return requests.all();
    };
    const light = await count(LIGHT_BUYER_ID);
    const heavy = await count(HEAVY_BUYER_ID);
    expect(heavy).toEqual(light);
    const total = Object.values(heavy).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(8);
    console.log(`web dashboard subgraph requests: ${JSON.stringify(heavy)} (total ${total})`);
  });

  it('is planned with the independent parts fetched in parallel', () => {
    const supergraph = Supergraph.build(readFileSync(gatewaySupergraphPath('web'), 'utf8'));
    const operation = operationFromDocument(supergraph.apiSchema(), parse(WEB_DASHBOARD));
    const plan = prettyFormatQueryPlan(new QueryPlanner(supergraph).buildQueryPlan(operation));
    // After the BFF names the user, users, orders and products are asked at once, not one after another.
    const parallel = plan.slice(plan.indexOf('Parallel {'));
    expect(plan).toContain('Parallel {');
    for (const service of ['users', 'orders', 'products']) expect(parallel).toContain(`Fetch(service: "${service}")`);
  });

  it('needs a signed-in user', async () => {
    const response = await postGraphQL(web.url, WEB_DASHBOARD);
    expect(response.body.data?.dashboard).toBeNull();
    expect(response.body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('mobile dashboard', () => {
  it('answers the registered Dashboard operation with the trimmed shape, at least 3x smaller than web', async () => {
    const headers = await auth(DEMO_USER_ID);
    const phone = await postPersisted(mobile.url, MOBILE_DASHBOARD_ID, headers);
    expect(phone.status).toBe(200);
    expect(phone.body.errors).toBeUndefined();
    const user = (
      phone.body.data?.dashboard as {
        user: {
          name: string;
          orders: { edges: Array<{ node: { itemCount: number } }> };
          recommendations: Array<{ thumbnailUrl: string }>;
        };
      }
    ).user;
    expect(user.name).toBe('Ada Lovelace');
    expect(user.orders.edges).toHaveLength(5);
    expect(user.orders.edges.every((e) => e.node.itemCount > 0)).toBe(true);
    expect(user.recommendations).toHaveLength(10);
    expect(user.recommendations.every((r) => new URL(r.thumbnailUrl).searchParams.get('w') === '160')).toBe(true);

    const desktop = await webDashboard(DEMO_USER_ID);
    console.log(
      `dashboard bytes for the demo user: web ${desktop.bytes}, mobile ${phone.bytes} (${(desktop.bytes / phone.bytes).toFixed(1)}x)`,
    );
    expect(desktop.bytes).toBeGreaterThanOrEqual(3 * phone.bytes);
  });

  it('needs a signed-in user', async () => {
    const response = await postPersisted(mobile.url, MOBILE_DASHBOARD_ID, {});
    expect(response.body.data?.dashboard).toBeNull();
    expect(response.body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });
});
