// Every operation limit of the gateways at its edge and one past it, each with its own code; the
// protocol rules (batching off, CSRF, introspection and suggestions in production, APQ on web,
// registered operations only on mobile).
import { createHash } from 'node:crypto';
import { Lexer, Source, TokenKind } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devToken } from '../lib/auth/index.ts';
import type { PersistedQueryManifest } from '../lib/gateway/index.ts';
import type { RunningServer } from '../lib/http/index.ts';
import { DEMO_USER_ID } from '../lib/seed/index.ts';
import { errorCodes, PROFILES, postGraphQL, startTestGateway, type GraphQLResponse } from './support/gateway.ts';
import { startSeededSubgraphs } from './support/seededStack.ts';
import { countSubgraphRequests, type SubgraphFleet } from './support/subgraphs.ts';

const WEB = PROFILES.web.limits;
const MANIFEST = (PROFILES.mobile.operations as { manifest: PersistedQueryManifest }).manifest;

let fleet: SubgraphFleet;
let web: RunningServer;
const extra: RunningServer[] = [];

beforeAll(async () => {
  fleet = await startSeededSubgraphs();
  web = await startTestGateway(fleet.urls);
});

afterAll(async () => {
  await Promise.all([web, ...extra].map((s) => s?.close()));
  await fleet?.close();
});

async function gateway(overrides: Parameters<typeof startTestGateway>[1]) {
  const server = await startTestGateway(fleet.urls, overrides);
  extra.push(server);
  return server;
}

/** A query whose deepest field is at `depth` (graphql-armor counts fields, leaves included). */
function queryOfDepth(depth: number): string {
  const levels = ['products(first: 1)', 'edges', 'node', 'category'];
  const path = Array.from({ length: depth - 1 }, (_, i) => levels[i % levels.length]);
  return `{ ${path.map((f) => `${f} {`).join(' ')} __typename ${'}'.repeat(depth - 1)} }`;
}

/** How many lexical tokens graphql-js counts in a document (what its `maxTokens` limits). */
function tokenCount(query: string): number {
  const lexer = new Lexer(new Source(query));
  let count = 0;
  while (lexer.advance().kind !== TokenKind.EOF) count++;
  return count;
}

/** graphql-armor does not count aliases of __typename, so alias a real field. */
function queryOfAliases(aliases: number): string {
  return `{ ${Array.from({ length: aliases }, (_, i) => `a${i}: category(slug: "books") { name }`).join(' ')} }`;
}

function queryOfDirectives(directives: number): string {
  return `{ ${Array.from({ length: directives }, () => '... on Query @include(if: true) { __typename }').join(' ')} }`;
}

describe('web limits, at the edge and one past it', () => {
  it.each([
    ['depth', queryOfDepth, WEB.maxDepth, 'DEPTH_LIMIT_EXCEEDED'],
    ['aliases', queryOfAliases, WEB.maxAliases, 'ALIAS_LIMIT_EXCEEDED'],
    ['directives', queryOfDirectives, WEB.maxDirectives, 'DIRECTIVE_LIMIT_EXCEEDED'],
  ] as const)('%s', async (_name, build, limit, code) => {
    const atLimit = await postGraphQL(web.url, build(limit));
    expect(atLimit.body.errors).toBeUndefined();
    expect(atLimit.status).toBe(200);

    const past = await postGraphQL(web.url, build(limit + 1));
    expect(past.status).toBe(400);
    expect(errorCodes(past)).toEqual([code]);
    expect(past.body.errors?.[0]?.message).toContain(String(limit));
  });

  it('tokens: a query of exactly maxTokens tokens runs, one token fewer allowed is refused before validation', async () => {
    // A repeated field cannot reach 5,000 tokens (graphql-js aborts validating thousands of
    // identical fields), so the edge is tested on a gateway whose limit is this query's token count.
    const query =
      '{ products(first: 2, filter: { search: "kettle", minPrice: 1 }) { edges { node { name price { amount } } } } }';
    const tokens = tokenCount(query);
    const exact = await gateway({ limits: { ...WEB, maxTokens: tokens } });
    expect((await postGraphQL(exact.url, query)).body.errors).toBeUndefined();
    const tight = await gateway({ limits: { ...WEB, maxTokens: tokens - 1 } });
    const past = await postGraphQL(tight.url, query);
    expect(past.status).toBe(400);
    expect(errorCodes(past)).toEqual(['TOKEN_LIMIT_EXCEEDED']);
  });

  it('cost: a page whose cost equals the limit runs, one more edge does not, and nothing is fetched', async () => {
    // products (1) + n edges x (edge 1 + node 1 + category 1)
    const query = 'query($n: Int) { products(first: $n) { edges { node { category { name } } } } }';
    const capped = await gateway({ limits: { ...WEB, maxCost: 1 + 3 * 50 } });
    const atLimit = await postGraphQL(capped.url, query, { n: 50 });
    expect(atLimit.body.errors).toBeUndefined();

    const requests = countSubgraphRequests(fleet);
    const past = await postGraphQL(capped.url, query, { n: 51 });
    requests.stop();
    expect(past.status).toBe(400);
    expect(errorCodes(past)).toEqual(['COST_ESTIMATED_TOO_EXPENSIVE']);
    expect(past.body.errors?.[0]?.extensions).toMatchObject({ cost: 1 + 3 * 51, maxCost: 1 + 3 * 50 });
    expect(requests.of('products')).toBe(0);
  });

  it('aliases of one list field add up their cost, so they cannot multiply a budget', async () => {
    const capped = await gateway({ limits: { ...WEB, maxCost: 300 } });
    const one = 'products(first: 100) { edges { node { id } } }';
    expect(errorCodes(await postGraphQL(capped.url, `{ a: ${one} }`))).toEqual([]);
    expect(errorCodes(await postGraphQL(capped.url, `{ a: ${one} b: ${one} }`))).toEqual([
      'COST_ESTIMATED_TOO_EXPENSIVE',
    ]);
  });
});

describe('mobile limits apply to registered operations too', () => {
  it('its Dashboard (depth 7) runs at maxDepth 7 and is refused at 6', async () => {
    const id = MANIFEST.operations.find((o) => o.name === 'Dashboard')?.id;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${await devToken(DEMO_USER_ID)}` };
    const body = JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: id } } });
    const atLimit = await gateway({ name: 'mobile', limits: { ...PROFILES.mobile.limits, maxDepth: 7 } });
    const ok = (await (await fetch(atLimit.url, { method: 'POST', headers, body })).json()) as GraphQLResponse['body'];
    expect(ok.errors).toBeUndefined();
    const tight = await gateway({ name: 'mobile', limits: { ...PROFILES.mobile.limits, maxDepth: 6 } });
    const refused = await fetch(tight.url, { method: 'POST', headers, body });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as GraphQLResponse['body']).errors?.[0]?.extensions?.code).toBe(
      'DEPTH_LIMIT_EXCEEDED',
    );
  });
});

describe('protocol', () => {
  it('refuses a batch of operations: batching cannot multiply a budget', async () => {
    const response = await fetch(web.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/batching/i);
  });

  it('prevents CSRF: a simple GET without a preflight header is refused', async () => {
    const response = await fetch(`${web.url}?query=${encodeURIComponent('{ __typename }')}`);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/CSRF|preflight/i);
  });

  it('allows introspection and suggestions in development, neither in production', async () => {
    const introspection = '{ __schema { queryType { name } } }';
    expect((await postGraphQL(web.url, introspection)).body.data).toEqual({
      __schema: { queryType: { name: 'Query' } },
    });
    expect((await postGraphQL(web.url, '{ prodcts { totalCount } }')).body.errors?.[0]?.message).toMatch(
      /Did you mean/,
    );

    const production = await gateway({ production: true });
    const refused = await postGraphQL(production.url, introspection);
    expect(errorCodes(refused)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const typo = await postGraphQL(production.url, '{ prodcts { totalCount } }');
    expect(typo.body.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });
});

describe('persisted queries', () => {
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');
  const send = (url: string, payload: unknown) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) }).then(
      async (r) => ({
        status: r.status,
        body: (await r.json()) as GraphQLResponse['body'],
      }),
    );

  it('web: automatic persisted queries register a query by its hash', async () => {
    const query = '{ categories { slug } }';
    const persisted = { persistedQuery: { version: 1, sha256Hash: sha(query) } };
    const miss = await send(web.url, { extensions: persisted });
    expect(miss.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await send(web.url, { query, extensions: persisted })).body.data?.categories).toHaveLength(8);
    expect((await send(web.url, { extensions: persisted })).body.data?.categories).toHaveLength(8);
  });

  describe('mobile: registered operations only', () => {
    let mobile: RunningServer;
    beforeAll(async () => {
      mobile = await gateway({ name: 'mobile' });
    });
    const catalog = () => MANIFEST.operations.find((o) => o.name === 'Catalog');

    it('runs a registered operation by id', async () => {
      const response = await send(mobile.url, {
        variables: { first: 3 },
        extensions: { persistedQuery: { version: 1, sha256Hash: catalog()?.id } },
      });
      expect(response.body.errors).toBeUndefined();
      expect((response.body.data?.products as { edges: unknown[] }).edges).toHaveLength(3);
    });

    it('answers an unknown id with PERSISTED_QUERY_NOT_FOUND', async () => {
      const response = await send(mobile.url, {
        extensions: { persistedQuery: { version: 1, sha256Hash: sha('{ nope }') } },
      });
      expect(response.body.errors?.map((e) => e.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    });

    it('refuses a query that is not registered, even with a matching APQ hash (no registration at run time)', async () => {
      const query = '{ users(first: 100) { edges { node { email } } } }';
      for (const payload of [
        { query },
        { query, extensions: { persistedQuery: { version: 1, sha256Hash: sha(query) } } },
      ]) {
        const response = await send(mobile.url, payload);
        expect(response.status).toBe(400);
        expect(response.body.errors?.map((e) => e.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
      }
      const after = await send(mobile.url, { extensions: { persistedQuery: { version: 1, sha256Hash: sha(query) } } });
      expect(after.body.errors?.map((e) => e.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    });

    it('lets the playground introspect in development, never in production', async () => {
      const introspection = '{ __schema { queryType { name } } }';
      expect((await send(mobile.url, { query: introspection })).body.data).toEqual({
        __schema: { queryType: { name: 'Query' } },
      });
      const production = await gateway({ name: 'mobile', production: true });
      const refused = await send(production.url, { query: introspection });
      expect(refused.status).toBe(400);
      expect(refused.body.errors?.map((e) => e.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
      const smuggled = await send(mobile.url, { query: '{ __typename users(first: 1) { edges { node { id } } } }' });
      expect(smuggled.body.errors?.map((e) => e.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
    });

    it('accepts the text of a registered operation (what the playground sends)', async () => {
      const response = await send(mobile.url, { query: catalog()?.body, variables: { first: 2 } });
      expect(response.body.errors).toBeUndefined();
      expect((response.body.data?.products as { edges: unknown[] }).edges).toHaveLength(2);
    });
  });
});
