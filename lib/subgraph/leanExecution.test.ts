import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLScalarType, Kind, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIdentity, type IdentitySigningConfig } from '../auth/index.ts';
import { appError, requestError } from '../errors.ts';
import { startGraphQLServer, type RunningServer } from '../http/index.ts';
import { silentLogger } from '../observability/index.ts';
import { subgraphApollo, subgraphApolloParts } from './apollo.ts';
import { subgraphContextFactory, type SubgraphContext } from './context.ts';
import { LeanExecution } from './leanExecution.ts';
import type { RequestOutcome } from '../observability/metrics/subgraph.ts';

/**
 * The lean path must answer what Apollo answers: the same server twice, one with the lean path in
 * front, the same requests to both, and status, the headers the gateway reads and the body bytes
 * compared. Apollo's requests are counted on the lean server, to show repeats never reach it.
 */

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@external", "@requires"])
  directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT
  enum CacheControlScope { PUBLIC PRIVATE }
  type Query {
    product(id: ID!): Product @cacheControl(maxAge: 60)
    products(first: Int = 2): [Product!]! @cacheControl(maxAge: 120)
    me: String @cacheControl(maxAge: 30, scope: PRIVATE)
    missing: Product @cacheControl(maxAge: 60)
    broken: Int @cacheControl(maxAge: 60)
    refused: Int
    required: Int!
  }
  type Mutation { touch(n: Int!): Int }
  type Product @key(fields: "id") @cacheControl(maxAge: 90) {
    id: ID!
    name: String!
    price: Int
    weight: Int @external
    shipping: Int @requires(fields: "weight")
    reviews(first: Int = 2, colour: Colour): [Review!]!
    "null for p1: the null bubbles to the nearest nullable parent"
    strict: String!
    "a String for p1, which Int cannot represent"
    bad: Int
  }
  type Review @key(fields: "id") {
    id: ID!
    "throws a coded error for r1-1, an uncoded one for r2-1"
    rating: Int
    colour: Colour!
    at: DateTime!
    product: Product!
  }
  scalar DateTime
  enum Colour { RED GREEN BLUE }
  union Found = Product | Review
  input Echo { a: Int = 3, b: [String!], c: Colour, at: DateTime, id: ID }
  extend type Query {
    nested(ids: [ID!]!): [Product!]
    search(term: String!): [Found!]!
    echo(input: Echo!): String!
    colour(c: Colour!): Colour!
    wrongColour: Colour
    later(at: DateTime!): DateTime!
    deepList: [[Int!]]
    notAList: [Int]
  }
`);

type Context = SubgraphContext<null, { calls: number }>;
const productOf = (id: string) => ({ id, name: `product ${id}`, price: 7 });
const AT = new Date(Date.UTC(2026, 11, 7, 6, 30, 0, 123));
const reviewOf = (id: string) => ({
  id,
  colour: id.endsWith('2') ? 'GREEN' : 'RED',
  at: AT,
  productId: id.split('-')[0],
});
const DateTime = new GraphQLScalarType({
  name: 'DateTime',
  serialize: (value) => {
    if (!(value instanceof Date)) throw new TypeError('DateTime cannot represent a non-date');
    return value.toISOString();
  },
  parseValue: (value) => {
    if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw new TypeError('not a date');
    return new Date(value);
  },
  parseLiteral: (ast) => (ast.kind === Kind.STRING ? new Date(ast.value) : null),
});
const resolvers = {
  Query: {
    product: (_: unknown, { id }: { id: string }) => productOf(id),
    products: (_: unknown, { first }: { first: number }) =>
      Array.from({ length: first }, (_x, i) => productOf(`p${i}`)),
    me: (_: unknown, _args: unknown, context: unknown) => (context as Context).identity.userId,
    missing: () => Promise.reject(appError('NOT_FOUND', 'Product x was not found')),
    broken: () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.7:5432')),
    refused: () => {
      throw requestError('FORBIDDEN', 'not yours', { 'x-why': 'because' });
    },
    required: () => null,
    nested: (_: unknown, { ids }: { ids: string[] }) => ids.map(productOf),
    search: (_: unknown, { term }: { term: string }) =>
      Promise.resolve([productOf(`${term}1`), { ...reviewOf(`${term}1-1`), kind: 'review' }, productOf(`${term}2`)]),
    echo: (_: unknown, { input }: { input: Record<string, unknown> }) =>
      JSON.stringify(input, (_k, v: unknown) => (v instanceof Date ? `date ${v.toISOString()}` : v)),
    colour: (_: unknown, { c }: { c: string }) => c,
    wrongColour: () => 'PURPLE',
    later: (_: unknown, { at }: { at: Date }) => new Date(at.getTime() + 1000),
    deepList: () => [[1, 2], null, [3]],
    notAList: () => 5,
  },
  DateTime,
  Found: {
    __resolveType: (value: { kind?: string }) => (value.kind === 'review' ? 'Review' : 'Product'),
  },
  Mutation: { touch: (_: unknown, { n }: { n: number }) => n + 1 },
  Product: {
    __resolveReference: (ref: { id: string; weight?: number }) =>
      ref.id === 'gone'
        ? null
        : ref.id === 'fails'
          ? Promise.reject(new Error('db down'))
          : { ...productOf(ref.id), weight: ref.weight },
    shipping: (p: { weight?: number }) => (p.weight ?? 0) * 2,
    reviews: (p: { id: string }, { first, colour }: { first: number; colour?: string }) =>
      Array.from({ length: first }, (_x, i) => reviewOf(`${p.id}-${i + 1}`)).filter(
        (r) => !colour || r.colour === colour,
      ),
    strict: (p: { id: string }) => (p.id === 'p1' ? null : `strict ${p.id}`),
    bad: (p: { id: string }) => (p.id === 'p1' ? 'abc' : 3),
  },
  Review: {
    __resolveReference: (ref: { id: string }) => Promise.resolve(reviewOf(ref.id)),
    rating: (r: { id: string }) => {
      if (r.id === 'r1-1') throw appError('NOT_FOUND', 'Review r1-1 was not found', { id: 'r1-1' });
      if (r.id === 'r2-1') return Promise.reject(new Error('connect ECONNREFUSED 10.0.0.7:5432'));
      return r.id.length;
    },
    product: (r: { productId: string }) => productOf(r.productId),
  },
};

const signing: IdentitySigningConfig = { secret: new TextEncoder().encode('lean-test-secret'), maxAgeSeconds: 60 };
const USER = '00000000-0000-4000-8000-000000000001';

interface Answer {
  status: number;
  contentType: string | null;
  cacheControl: string | null;
  why: string | null;
  body: string;
}

async function post(
  server: RunningServer,
  body: unknown,
  headers: Record<string, string> = signIdentity({ userId: USER, client: 'web' }, signing),
): Promise<Answer> {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    cacheControl: res.headers.get('cache-control'),
    why: res.headers.get('x-why'),
    body: await res.text(),
  };
}

const ENTITIES = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id name __typename } } }';
const REQUESTS: Array<[string, unknown, Record<string, string>?]> = [
  ['a cacheable query', { query: '{ products { id name price } }' }],
  ['arguments and variables', { query: 'query P($id: ID!) { product(id: $id) { id name } }', variables: { id: 'p9' } }],
  ['a private field', { query: '{ me products(first: 1) { id } }' }],
  ['an entity fetch', { query: ENTITIES, variables: { r: [{ __typename: 'Product', id: 'p1' }] } }],
  ['the service SDL', { query: '{ _service { sdl } }' }],
  ['a coded error with data', { query: '{ missing { id } products { id } }' }],
  ['an internal error, masked', { query: '{ broken products { id } }' }],
  ['an error carrying a status and a header', { query: '{ refused }' }],
  ['a null for a non-null root field', { query: '{ required }' }],
  ['a mutation', { query: 'mutation { touch(n: 1) }' }],
  [
    'entities of two types, with a @requires field, an unknown one, a null and a failing one',
    {
      query: `query($r: [_Any!]!) { _entities(representations: $r) {
        __typename ... on Product { id shipping name } ... on Review { id rating colour at product { id } } } }`,
      variables: {
        r: [
          { __typename: 'Product', id: 'p3', weight: 5 },
          { __typename: 'Review', id: 'r3-2' },
          { __typename: 'Product', id: 'gone' },
          { __typename: 'Product', id: 'fails' },
          { __typename: 'Review', id: 'r1-1' },
        ],
      },
    },
  ],
  [
    'an entity of a type the subgraph does not have',
    {
      query: ENTITIES,
      variables: {
        r: [
          { __typename: 'Nope', id: 'x' },
          { __typename: 'Product', id: 'p2' },
        ],
      },
    },
  ],
  ['a null bubbling to a nullable list', { query: '{ nested(ids: ["p2", "p1", "p3"]) { id strict } }' }],
  ['a null bubbling to the root', { query: '{ products(first: 3) { id strict } me }' }],
  ['a value Int cannot represent', { query: '{ products(first: 2) { id bad } }' }],
  [
    'errors in nested lists: coded, uncoded, and their paths',
    { query: '{ nested(ids: ["r1", "r2"]) { id reviews(first: 3) { id rating colour } } }' },
  ],
  [
    'a union, aliases, fragments, __typename and skip/include',
    {
      query: `query S($t: String!, $skip: Boolean!, $colour: Colour) {
        a: search(term: $t) { __typename ...P ... on Review { rid: id colour at } }
        b: search(term: "q") @skip(if: $skip) { __typename }
        c: search(term: "z") @include(if: $skip) { __typename }
      }
      fragment P on Product { id name reviews(colour: $colour) { id colour } price @include(if: $skip) }`,
      variables: { t: 'x', skip: false, colour: 'GREEN' },
    },
  ],
  [
    'skip and include on fragment spreads and inline fragments, nested and overlapping',
    {
      query: `query F($yes: Boolean!, $no: Boolean!) {
        nested(ids: ["p2", "p3"]) {
          id
          ...N @include(if: $yes)
          ...N @skip(if: $yes)
          ... on Product @include(if: $no) { price reviews { id } }
          ... on Product @skip(if: $no) { reviews(first: 1) { id ... on Review @include(if: $no) { colour } ...R @include(if: $yes) } }
          ... @include(if: $yes) { name ... @skip(if: $yes) { bad } }
        }
      }
      fragment N on Product { name ... on Product @skip(if: $no) { price } }
      fragment R on Review { at colour @skip(if: $yes) }`,
      variables: { yes: true, no: false },
    },
  ],
  [
    'input objects with defaults, list coercion, enums, custom scalars and IDs from numbers',
    {
      query: 'query E($in: Echo!) { echo(input: $in) inline: echo(input: { b: "one", c: BLUE, id: 7 }) }',
      variables: { in: { b: 'single', c: 'GREEN', at: '2026-01-02T03:04:05.678Z', id: 42 } },
    },
  ],
  [
    'an enum variable and a custom scalar variable',
    {
      query: 'query C($c: Colour!, $at: DateTime!) { colour(c: $c) later(at: $at) }',
      variables: { c: 'BLUE', at: '2026-05-06T07:08:09.000Z' },
    },
  ],
  ['an enum value the enum does not have', { query: '{ wrongColour me }' }],
  ['a list of lists with a null', { query: '{ deepList }' }],
  ['a list field given a single value', { query: '{ notAList }' }],
  [
    'an enum variable that does not coerce',
    { query: 'query C($c: Colour!) { colour(c: $c) }', variables: { c: 'PINK' } },
  ],
  [
    'one of several operations',
    { query: 'query A { me } query B { products { id } }', operationName: 'B', extensions: {} },
  ],
  ['an unknown operation name', { query: 'query A { me }', operationName: 'Z' }],
  ['a syntax error', { query: '{ products { id ' }],
  ['a validation error', { query: '{ products { nope } }' }],
  ['introspection', { query: '{ __schema { queryType { name } } }' }],
  ['variables that do not coerce', { query: 'query P($id: ID!) { product(id: $id) { id } }', variables: {} }],
  ['a persisted query', { extensions: { persistedQuery: { version: 1, sha256Hash: 'ab' } } }],
  ['a batch', [{ query: '{ me }' }]],
  ['no signature', { query: '{ products { id } }' }, {}],
  ['a bad signature', { query: '{ products { id } }' }, { 'x-bff-client': 'web', 'x-bff-signature': 'v1=AAAA' }],
  [
    'the graphql-response media type',
    { query: '{ products { id } }' },
    { accept: 'application/graphql-response+json', ...signIdentity({ userId: null, client: 'mobile' }, signing) },
  ],
  ['an unacceptable accept', { query: '{ products { id } }' }, { accept: 'text/html' }],
];

describe('LeanExecution', () => {
  let apolloOnly: RunningServer;
  let lean: RunningServer;
  let apolloRuns = 0;
  let leanExecution: LeanExecution<Context> | undefined;
  const outcomes: RequestOutcome[] = [];

  beforeAll(async () => {
    const start = async (withLean: boolean) => {
      const logger = silentLogger();
      const apollo = subgraphApollo<Context>(buildSubgraphSchema({ typeDefs, resolvers }), logger);
      const context = subgraphContextFactory<null, { calls: number }>(
        { prisma: null, logger, signing, env: {} },
        () => ({ calls: 0 }),
      );
      const parts = subgraphApolloParts(apollo);
      if (!parts) throw new Error('no parts');
      if (withLean)
        apollo.addPlugin({
          requestDidStart: () => {
            apolloRuns += 1;
            return Promise.resolve();
          },
        });
      if (withLean) leanExecution = new LeanExecution({ ...parts, context, observe: (o) => outcomes.push(o) });
      const front = leanExecution?.handler;
      return startGraphQLServer({
        apollo,
        context,
        logger,
        port: 0,
        ...(front ? { front } : {}),
        ready: () => Promise.resolve({ ready: true, checks: {} }),
      });
    };
    [apolloOnly, lean] = await Promise.all([start(false), start(true)]);
  });

  afterAll(async () => {
    await Promise.all([apolloOnly.close(), lean.close()]);
  });

  it.each(REQUESTS)('answers %s as Apollo does, the first time and again', async (_name, body, headers) => {
    const expected = await post(apolloOnly, body, headers);
    expect(await post(lean, body, headers)).toEqual(expected);
    expect(await post(lean, body, headers)).toEqual(expected);
  });

  it('keeps repeats of a valid query out of Apollo, and counts them in the metrics', async () => {
    const body = { query: '{ products(first: 3) { id name } }' };
    await post(lean, body);
    const runs = apolloRuns;
    const counted = outcomes.length;
    for (let i = 0; i < 5; i++) await post(lean, body);
    expect(apolloRuns).toBe(runs);
    expect(outcomes.length).toBe(counted + 5);
    expect(outcomes.at(-1)).toMatchObject({ operationType: 'query', errors: [], hasData: true });
  });

  it('runs a repeated query compiled, and a mutation or an answer with errors by graphql-js', async () => {
    const runs = () => ({ ...leanExecution!.runs });
    const query = { query: '{ nested(ids: ["p4", "p5"]) { id strict reviews { id colour at } } }' };
    await post(lean, query);
    let before = runs();
    await post(lean, query);
    expect(runs()).toEqual({ compiled: before.compiled + 1, interpreted: before.interpreted });
    const mutation = { query: 'mutation { touch(n: 4) }' };
    await post(lean, mutation);
    before = runs();
    await post(lean, mutation);
    expect(runs()).toEqual({ compiled: before.compiled, interpreted: before.interpreted + 1 });
    const failing = { query: '{ nested(ids: ["p1"]) { id strict } }' };
    await post(lean, failing);
    before = runs();
    await post(lean, failing);
    expect(runs()).toEqual({ compiled: before.compiled + 1, interpreted: before.interpreted + 1 });
  });

  it('counts an error the client sees with its code', async () => {
    await post(lean, { query: '{ missing { id } }' });
    expect(outcomes.at(-1)?.errors.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
  });
});
