// Our plan executor against Apollo's on the web supergraph: the same plans, the same subgraph
// answers (a deterministic fake per subgraph, with nulls and errors placed on demand), the same
// responses — data, errors with their paths and codes, extensions.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApolloGateway, type GraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { Supergraph } from '@apollo/federation-internals';
import { gatewaySupergraphPath } from '../composition.ts';
import { operationsDir } from './paths.ts';
import { DEEP_QUERY } from '../../bench/scenarios.ts';
import { executingPlansOurselves, newPlanExecutionStats } from './ownExecutor.ts';
import { FakeSubgraph, type Faults } from '../../test/support/fakeSubgraph.ts';

const supergraphSdl = readFileSync(gatewaySupergraphPath('web'), 'utf8');
const supergraphSchema = Supergraph.build(supergraphSdl).schema.toGraphQLJSSchema();

async function serverPair(faults: Faults) {
  const build = (services: Map<string, GraphQLDataSource>) =>
    new ApolloGateway({
      supergraphSdl,
      buildService: ({ name }) => {
        const source = new FakeSubgraph(supergraphSchema, faults);
        services.set(name, source);
        return source;
      },
    });
  const stats = newPlanExecutionStats();
  const ownServices = new Map<string, GraphQLDataSource>();
  const apollo = new ApolloServer({ gateway: build(new Map()) });
  const own = new ApolloServer({
    gateway: executingPlansOurselves(build(ownServices), { supergraphSdl, services: ownServices, stats }),
  });
  await Promise.all([apollo.start(), own.start()]);
  return { apollo, own, stats, ownServices };
}

async function answer(server: ApolloServer, query: string, variables?: Record<string, unknown>) {
  const response = await server.executeOperation({ query, variables });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return JSON.parse(JSON.stringify(response.body.singleResult)) as {
    data?: unknown;
    errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }>;
    extensions?: unknown;
  };
}

const operation = (name: string) => readFileSync(`${operationsDir('web')}/${name}.graphql`, 'utf8');

const QUERIES: Array<[string, string, Record<string, unknown>?]> = [
  ['the catalog', operation('Catalog'), { first: 5 }],
  ['the dashboard', operation('Dashboard')],
  ['the deep query (nested Flatten over lists, entity fetches inside entity fetches)', DEEP_QUERY],
  [
    'aliases, named and inline fragments, __typename at every level',
    `query A($id: ID!) {
      __typename
      first: product(id: $id) { ...Card kind: __typename }
      second: product(id: "p2") { ... on Product { id label: name stock { inStock } } reviewCount }
      products(first: 2) { edges { node { ...Card price { cents: amount currency } } } }
    }
    fragment Card on Product { id name __typename stock { available } reviews(first: 2) { edges { node { id author { name } } } } }`,
    { id: 'p1' },
  ],
  [
    '@skip and @include on fields of other subgraphs (Condition nodes)',
    `query S($withStock: Boolean!, $noReviews: Boolean = false) {
      products(first: 3) { edges { node { id name stock @include(if: $withStock) { available } reviewCount @skip(if: $noReviews) } } }
    }`,
    { withStock: true },
  ],
  [
    '@skip and @include, the other way',
    `query S($withStock: Boolean!, $noReviews: Boolean = false) {
      products(first: 3) { edges { node { id name stock @include(if: $withStock) { available } reviewCount @skip(if: $noReviews) } } }
    }`,
    { withStock: false, noReviews: true },
  ],
  [
    'a field that @requires another subgraph’s field',
    `query O($id: ID!) { order(id: $id) { id status statusLabel total { amount } items { quantity product { name stock { available } } } } }`,
    { id: 'o1' },
  ],
];

describe('our plan executor answers as Apollo’s does', () => {
  const clean: Faults = { nulls: new Set(), errors: new Set() };
  let pair: Awaited<ReturnType<typeof serverPair>>;
  beforeAll(async () => {
    pair = await serverPair(clean);
  });
  afterAll(async () => {
    await Promise.all([pair.apollo.stop(), pair.own.stop()]);
  });

  it.each(QUERIES)('%s', async (_name, query, variables) => {
    const expected = await answer(pair.apollo, query, variables);
    expect(expected.errors).toBeUndefined();
    expect(await answer(pair.own, query, variables)).toEqual(expected);
    // A second time, from the prepared plan.
    expect(await answer(pair.own, query, variables)).toEqual(expected);
  });

  it('ran every one of them itself, and hands introspection to Apollo’s executor', async () => {
    expect(pair.stats.fallback).toBe(0);
    expect(pair.stats.own).toBeGreaterThanOrEqual(QUERIES.length * 2);
    const query = '{ __schema { queryType { name } } products(first: 1) { totalCount } }';
    expect(await answer(pair.own, query)).toEqual(await answer(pair.apollo, query));
    expect(pair.stats.fallbackReasons).toEqual({ introspection: 1 });
  });

  it('refuses bad variables as Apollo’s executor does, without a fetch', async () => {
    const calls = () => [...pair.ownServices.values()].reduce((n, s) => n + (s as FakeSubgraph).calls, 0);
    const before = calls();
    const query = 'query P($first: Int) { products(first: $first) { totalCount } }';
    const ours = await answer(pair.own, query, { first: 'many' });
    expect(ours).toEqual(await answer(pair.apollo, query, { first: 'many' }));
    expect(ours.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(calls()).toBe(before);
  });
});

describe('with subgraph errors and nulls', () => {
  const cases: Array<[string, Faults, string, Record<string, unknown>?]> = [
    [
      'an entity fetch error under a list: paths through the lists, the nullable field null',
      { nulls: new Set(), errors: new Set(['Product.averageRating']) },
      operation('Catalog'),
      { first: 3 },
    ],
    [
      'a non-null field failing in an entity fetch: the entity nulled, the null bubbling to a nullable parent',
      { nulls: new Set(), errors: new Set(['Stock.available']) },
      operation('Catalog'),
      { first: 3 },
    ],
    [
      'deep: an author failing under every review, nested two lists down',
      { nulls: new Set(), errors: new Set(['User.avatarUrl', 'Review.title']) },
      DEEP_QUERY,
    ],
    [
      'a non-null field answered null without an error (value completion in extensions)',
      { nulls: new Set(['Product.name']), errors: new Set() },
      operation('Catalog'),
      { first: 2 },
    ],
    [
      'a root field failing in its own subgraph',
      { nulls: new Set(), errors: new Set(['Query.products']) },
      operation('Catalog'),
    ],
    [
      'the requiring field failing',
      { nulls: new Set(), errors: new Set(['Order.statusLabel']) },
      `{ order(id: "o1") { id status statusLabel } }`,
    ],
  ];

  it.each(cases)('%s', async (_name, faults, query, variables) => {
    const pair = await serverPair(faults);
    try {
      const expected = await answer(pair.apollo, query, variables);
      expect(expected.errors ?? expected.extensions).toBeDefined();
      expect(await answer(pair.own, query, variables)).toEqual(expected);
      expect(pair.stats.fallback).toBe(0);
    } finally {
      await Promise.all([pair.apollo.stop(), pair.own.stop()]);
    }
  });
});
