// The whole supergraph through gateway-web's core: cross-subgraph answers, every limit of the
// issue at and past its edge, and bad input answered with a stable code and nothing internal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../lib/http/index.ts';
import { DEMO_USER_ID } from '../lib/seed/index.ts';
import { asUser } from './support/auth.ts';
import { errorCodes, postGraphQL, startTestGateway, type GraphQLResponse } from './support/gateway.ts';
import { startSeededSubgraphs } from './support/seededStack.ts';
import type { SubgraphFleet } from './support/subgraphs.ts';

const MAX_BODY_BYTES = 4096;

let fleet: SubgraphFleet;
let gateway: RunningServer;

beforeAll(async () => {
  fleet = await startSeededSubgraphs();
  gateway = await startTestGateway(fleet.urls, { maxBodyBytes: MAX_BODY_BYTES });
});

afterAll(async () => {
  await gateway?.close();
  await fleet?.close();
});

/** No client ever sees a stack trace, SQL or an internal message. */
function expectNothingInternal(response: GraphQLResponse) {
  const text = JSON.stringify(response.body);
  expect(text).not.toMatch(/stacktrace|prisma|SELECT |at [\w.]+ \(|node_modules|postgres/i);
}

describe('cross-subgraph queries', () => {
  it('answers the README example from four subgraphs', async () => {
    const response = await postGraphQL(
      gateway.url,
      '{ products(first: 5) { edges { node { name price { amount currency } stock { available } averageRating reviews(first: 2) { edges { node { rating author { name } } } } } } } }',
    );
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    const edges = (response.body.data?.products as { edges: Array<{ node: Record<string, unknown> }> }).edges;
    expect(edges).toHaveLength(5);
    for (const { node } of edges) {
      expect(node.name).toEqual(expect.any(String));
      expect((node.stock as { available: number }).available).toBeGreaterThanOrEqual(0);
      expect((node.price as { currency: string }).currency).toBe('USD');
    }
    const authors = edges.flatMap(({ node }) =>
      (node.reviews as { edges: Array<{ node: { author: { name: string } } }> }).edges.map((e) => e.node.author.name),
    );
    expect(authors.length).toBeGreaterThan(0);
    expect(authors.every((name) => name.length > 0)).toBe(true);
  });

  it('pages through a list with cursors, without gaps or repeats', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 3; i++) {
      const response = await postGraphQL(
        gateway.url,
        'query($after: String) { users(first: 20, after: $after) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }',
        { after },
      );
      const page = response.body.data?.users as {
        totalCount: number;
        edges: Array<{ node: { id: string } }>;
        pageInfo: { hasNextPage: boolean; endCursor: string };
      };
      seen.push(...page.edges.map((e) => e.node.id));
      expect(page.totalCount).toBe(50);
      expect(page.pageInfo.hasNextPage).toBe(i < 2);
      after = page.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(50);
    expect(new Set(seen).size).toBe(50);
  });

  it('filters the catalog and ranks recommendations from products data', async () => {
    const response = await postGraphQL(
      gateway.url,
      `query($id: ID!) {
        books: products(first: 100, filter: { category: "books", maxPrice: 30 }) { totalCount edges { node { category { slug } price { amount } } } }
        user(id: $id) { recommendations(first: 5) { id name } }
      }`,
      { id: DEMO_USER_ID },
      await asUser(DEMO_USER_ID),
    );
    expect(response.body.errors).toBeUndefined();
    const books = response.body.data?.books as {
      totalCount: number;
      edges: Array<{ node: { category: { slug: string }; price: { amount: number } } }>;
    };
    expect(books.totalCount).toBe(books.edges.length);
    expect(books.edges.length).toBeGreaterThan(0);
    expect(books.edges.every((e) => e.node.category.slug === 'books' && e.node.price.amount <= 30)).toBe(true);
    expect((response.body.data?.user as { recommendations: unknown[] }).recommendations).toHaveLength(5);
  });
});

describe('page size limit', () => {
  const usersPage = 'query($first: Int) { users(first: $first) { edges { node { id } } } }';
  const nestedPage =
    'query($first: Int) { products(first: 1) { edges { node { reviews(first: $first) { edges { node { id } } } } } } }';

  it.each([1, 100])('accepts first = %i', async (first) => {
    const response = await postGraphQL(gateway.url, usersPage, { first });
    expect(response.body.errors).toBeUndefined();
    expect((response.body.data?.users as { edges: unknown[] }).edges).toHaveLength(Math.min(first, 50));
  });

  it.each([0, 101, -1])('refuses first = %i with BAD_USER_INPUT naming the argument', async (first) => {
    for (const query of [usersPage, nestedPage]) {
      const response = await postGraphQL(gateway.url, query, { first });
      expect(errorCodes(response)).toContain('BAD_USER_INPUT');
      const error = response.body.errors?.find((e) => e.extensions?.code === 'BAD_USER_INPUT');
      expect(error?.extensions?.argumentName).toBe('first');
      expect(error?.message).toContain('"first"');
      expectNothingInternal(response);
    }
  });

  it('refuses a forged cursor', async () => {
    const response = await postGraphQL(
      gateway.url,
      '{ users(first: 2, after: "not-a-cursor") { edges { node { id } } } }',
    );
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.body.errors?.[0]?.extensions?.argumentName).toBe('after');
  });
});

describe('ids', () => {
  it.each(['user', 'product', 'order', 'payment', 'review'])(
    '%s: a malformed id is BAD_USER_INPUT, an unknown one null with NOT_FOUND',
    async (field) => {
      // Signed in, so that orders and payments get as far as looking the id up.
      const signedIn = await asUser(DEMO_USER_ID);
      const malformed = await postGraphQL(gateway.url, `{ ${field}(id: "42; DROP TABLE users") { id } }`, {}, signedIn);
      expect(malformed.status).toBe(200);
      expect(malformed.body.data?.[field]).toBeNull();
      expect(errorCodes(malformed)).toEqual(['BAD_USER_INPUT']);
      expectNothingInternal(malformed);

      const unknown = await postGraphQL(
        gateway.url,
        `{ ${field}(id: "00000000-0000-4000-8000-000000000000") { id } }`,
        {},
        signedIn,
      );
      expect(unknown.body.data?.[field]).toBeNull();
      expect(errorCodes(unknown)).toEqual(['NOT_FOUND']);
    },
  );

  it('me without an identity is null with UNAUTHENTICATED', async () => {
    const response = await postGraphQL(gateway.url, '{ me { id } }');
    expect(response.body.data?.me).toBeNull();
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('GraphQL over HTTP', () => {
  async function raw(body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
    const response = await fetch(gateway.url, { method: 'POST', headers, body });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as GraphQLResponse['body'],
    };
  }

  it('a malformed query is 400 GRAPHQL_PARSE_FAILED', async () => {
    const response = await postGraphQL(gateway.url, '{ products(first: 5 { edges }');
    expect(response.status).toBe(400);
    expect(errorCodes(response)).toEqual(['GRAPHQL_PARSE_FAILED']);
    expectNothingInternal(response);
  });

  it('an unknown field is 400 GRAPHQL_VALIDATION_FAILED', async () => {
    const response = await postGraphQL(gateway.url, '{ products(first: 5) { edges { node { passwordHash } } } }');
    expect(response.status).toBe(400);
    expect(errorCodes(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('an operationName the document does not define is 400 OPERATION_RESOLUTION_FAILURE', async () => {
    for (const body of [
      { query: '{ __typename }', operationName: 'Catalog' },
      { query: 'query A { __typename } query B { __typename }' },
    ]) {
      const response = await raw(JSON.stringify(body));
      expect(response.status).toBe(400);
      expect(errorCodes(response)).toEqual(['OPERATION_RESOLUTION_FAILURE']);
    }
  });

  it('a body that is not JSON is 400 BAD_REQUEST', async () => {
    const response = await raw('{"query": ');
    expect(response.status).toBe(400);
    expect(errorCodes(response)).toEqual(['BAD_REQUEST']);
  });

  it('a body that is not JSON media type is 415', async () => {
    const response = await raw('query=%7B__typename%7D', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(response.status).toBe(415);
    expect(errorCodes(response)).toEqual(['UNSUPPORTED_MEDIA_TYPE']);
  });

  it(`accepts a body of exactly ${MAX_BODY_BYTES} bytes and refuses one byte more with 413`, async () => {
    const body = (size: number) => {
      const skeleton = JSON.stringify({ query: '{ __typename }', variables: { pad: '' } });
      return JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(size - skeleton.length) } });
    };
    const atLimit = await raw(body(MAX_BODY_BYTES));
    expect(Buffer.byteLength(body(MAX_BODY_BYTES))).toBe(MAX_BODY_BYTES);
    expect(atLimit.status).toBe(200);
    expect(atLimit.body.data).toEqual({ __typename: 'Query' });

    const past = await raw(body(MAX_BODY_BYTES + 1));
    expect(past.status).toBe(413);
    expect(errorCodes(past)).toEqual(['PAYLOAD_TOO_LARGE']);
  });

  it('answers GET queries and echoes the correlation id', async () => {
    const response = await fetch(`${gateway.url}?query=${encodeURIComponent('{ categories { slug } }')}`, {
      headers: { 'x-request-id': 'req-123', 'apollo-require-preflight': 'true' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('req-123');
    expect(((await response.json()) as { data: { categories: unknown[] } }).data.categories).toHaveLength(8);
  });

  it("serves no Apollo landing page: the gateway's page is our bundled playground, a subgraph has none", async () => {
    const page = await (await fetch(gateway.url, { headers: { accept: 'text/html' } })).text();
    expect(page).not.toMatch(/cdn\.|apollographql\.com|embeddable-sandbox|https?:\/\//i);
    const subgraph = await fetch(fleet.urls.products, { headers: { accept: 'text/html' } });
    expect(subgraph.headers.get('content-type')).not.toMatch(/text\/html/);
    expect(await subgraph.text()).not.toMatch(/<script|cdn\.|apollographql\.com|embeddable-sandbox/i);
  });

  it('serves /health and /ready', async () => {
    const origin = new URL(gateway.url).origin;
    expect((await fetch(`${origin}/health`)).status).toBe(200);
    const ready = await fetch(`${origin}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      ready: true,
      checks: { users: 'ok', products: 'ok', inventory: 'ok', orders: 'ok', payments: 'ok', reviews: 'ok' },
    });
  });
});

describe('readiness', () => {
  it('a gateway with an unreachable subgraph is alive but not ready, and says which', async () => {
    const closed = await startTestGateway({ ...fleet.urls, payments: 'http://127.0.0.1:1/graphql' });
    try {
      const origin = new URL(closed.url).origin;
      expect((await fetch(`${origin}/health`)).status).toBe(200);
      const ready = await fetch(`${origin}/ready`);
      expect(ready.status).toBe(503);
      const report = (await ready.json()) as { ready: boolean; checks: Record<string, string> };
      expect(report.ready).toBe(false);
      expect(report.checks.payments).toBe('unreachable');
      expect(report.checks.orders).toBe('ok');
    } finally {
      await closed.close();
    }
  });

  it('a subgraph reports its database on /ready', async () => {
    const origin = new URL(fleet.urls.orders).origin;
    const ready = await fetch(`${origin}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, checks: { database: 'ok' } });
  });
});
