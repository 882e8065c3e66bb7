import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
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
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
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
  type Product @key(fields: "id") @cacheControl(maxAge: 90) { id: ID! name: String! price: Int }
`);

type Context = SubgraphContext<null, { calls: number }>;
const productOf = (id: string) => ({ id, name: `product ${id}`, price: 7 });
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
  },
  Mutation: { touch: (_: unknown, { n }: { n: number }) => n + 1 },
  Product: { __resolveReference: (ref: { id: string }) => productOf(ref.id) },
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
      const front = withLean
        ? new LeanExecution({ ...parts, context, observe: (o) => outcomes.push(o) }).handler
        : undefined;
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

  it('counts an error the client sees with its code', async () => {
    await post(lean, { query: '{ missing { id } }' });
    expect(outcomes.at(-1)?.errors.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
  });
});
