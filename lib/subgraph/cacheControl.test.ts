import { ApolloServer, HeaderMap } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
} from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import {
  getNamedType,
  getNullableType,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isInputType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  parse,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type GraphQLType,
} from 'graphql';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { subgraphSchemaPath } from '../composition.ts';
import { SUBGRAPH_NAMES, type SubgraphName } from '../services.ts';
import { staticCacheControlPlugin } from './cacheControl.ts';

/**
 * The static policy must give the `cache-control` header Apollo's per-field plugin gives. With a
 * resolver that answers every field (no nulls, lists of two), Apollo resolves every field the
 * document selects, so the two must agree exactly, on every subgraph's real schema and hints.
 */

function scalarValue(type: GraphQLNamedType): unknown {
  if (isEnumType(type)) return type.getValues()[0]?.value;
  switch (type.name) {
    case 'Int':
      return 2;
    case 'Float':
      return 1.5;
    case 'Boolean':
      return true;
    case 'DateTime':
      return new Date('2026-01-01T00:00:00Z');
    default:
      return '00000000-0000-4000-8000-000000000001';
  }
}

/** Any field's value: a stand-in of its type, lists of two, never null. */
function mockOf(type: GraphQLOutputType, schema: GraphQLSchema): unknown {
  const inner = getNullableType(type);
  if (isListType(inner)) return [mockOf(inner.ofType, schema), mockOf(inner.ofType, schema)];
  if (isAbstractType(inner)) return { __typename: schema.getPossibleTypes(inner)[0]?.name };
  if (isCompositeType(inner)) return {};
  return scalarValue(inner);
}

const mockResolver: GraphQLFieldResolver<unknown, unknown> = (source, _args, _context, info) => {
  const own = (source as Record<string, unknown> | null)?.[info.fieldName];
  if (own !== undefined && !isCompositeType(getNamedType(info.returnType))) return own;
  return mockOf(info.returnType, info.schema);
};

function literal(type: GraphQLType): string | null {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) {
    const item = literal(inner.ofType);
    return item === null ? null : `[${item}]`;
  }
  if (isEnumType(inner)) return inner.getValues()[0]?.name ?? null;
  if (!isScalarType(inner)) return null;
  const value = scalarValue(inner);
  return typeof value === 'string' || value instanceof Date ? JSON.stringify(String(value)) : String(value);
}

/** One field with required arguments filled and its selection down to `depth` levels; null when it cannot be asked. */
function fieldSelection(
  schema: GraphQLSchema,
  field: GraphQLField<unknown, unknown>,
  depth: number,
  tags: boolean,
): string | null {
  const args: string[] = [];
  for (const arg of field.args) {
    if (!isNonNullType(arg.type) || arg.defaultValue !== undefined) continue;
    const value = isInputType(arg.type) ? literal(arg.type) : null;
    if (value === null) return null;
    args.push(`${arg.name}: ${value}`);
  }
  const named = getNamedType(field.type);
  const call = `${field.name}${args.length ? `(${args.join(', ')})` : ''}`;
  if (!isCompositeType(named)) return call;
  return depth > 0 ? `${call} ${selection(schema, named, depth - 1, tags)}` : null;
}

/** Every field of `type` down to `depth` levels, `bffTag` aliases on entities when asked (as the gateway adds them). */
function selection(schema: GraphQLSchema, type: GraphQLNamedType, depth: number, tags: boolean): string {
  if (isAbstractType(type))
    return `{ __typename ${schema
      .getPossibleTypes(type)
      .map((t) => `... on ${t.name} ${selection(schema, t, depth, tags)}`)
      .join(' ')} }`;
  if (!isObjectType(type) && !isInterfaceType(type)) return '';
  const parts: string[] = [];
  for (const field of Object.values(type.getFields())) {
    if (field.name.startsWith('_')) continue;
    const part = fieldSelection(schema, field, depth, tags);
    if (part) parts.push(part);
  }
  if (tags && type.astNode?.directives?.some((d) => d.name.value === 'key'))
    parts.push('bffTag__typename: __typename', 'bffTag__id: id');
  return parts.length ? `{ ${parts.join(' ')} }` : '{ __typename }';
}

/** One query per root field (so a short-lived field does not hide the others'), and entity fetches as the gateway plans them. */
function documents(schema: GraphQLSchema): string[] {
  const out: string[] = [];
  for (const field of Object.values(schema.getQueryType()?.getFields() ?? {})) {
    if (field.name.startsWith('_')) continue;
    for (const [depth, tags] of [
      [1, false],
      [3, false],
      [3, true],
    ] as const) {
      const part = fieldSelection(schema, field, depth, tags);
      if (part) out.push(`query { ${part} }`);
    }
  }
  const entity = schema.getType('_Entity');
  for (const type of entity && isAbstractType(entity) ? schema.getPossibleTypes(entity) : [])
    for (const tags of [false, true])
      out.push(
        `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on ${type.name} ${selection(schema, type, 2, tags)} } }`,
      );
  return out;
}

function server(name: SubgraphName, mine: boolean): ApolloServer {
  const schema = buildSubgraphSchema({
    typeDefs: parse(readFileSync(subgraphSchemaPath(name), 'utf8')),
    resolvers: {},
  });
  return new ApolloServer({
    schema,
    fieldResolver: mockResolver,
    plugins: [
      ApolloServerPluginInlineTraceDisabled(),
      ...(mine ? [ApolloServerPluginCacheControlDisabled(), staticCacheControlPlugin()] : []),
    ],
  });
}

async function headerOf(apollo: ApolloServer, query: string, representations: unknown): Promise<string | undefined> {
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: {
      method: 'POST',
      headers: new HeaderMap([['content-type', 'application/json']]),
      search: '',
      body: { query, variables: { representations } },
    },
    context: () => Promise.resolve({}),
  });
  return response.headers.get('cache-control');
}

describe('staticCacheControlPlugin', () => {
  for (const name of SUBGRAPH_NAMES) {
    it(`gives Apollo's cache-control header for ${name}'s operations and entity fetches`, async () => {
      const apollo = server(name, false);
      const ours = server(name, true);
      await Promise.all([apollo.start(), ours.start()]);
      try {
        const schema = buildSubgraphSchema({ typeDefs: parse(readFileSync(subgraphSchemaPath(name), 'utf8')) });
        const list = documents(schema);
        expect(list.length).toBeGreaterThan(1);
        const seen = new Set<string>();
        for (const query of list) {
          const typename = /\.\.\. on (\w+)/.exec(query)?.[1];
          const representations = [
            { __typename: typename, id: '00000000-0000-4000-8000-000000000001' },
            { __typename: typename, id: '00000000-0000-4000-8000-000000000002' },
          ];
          const expected = await headerOf(apollo, query, representations);
          // Twice: the second answer comes from the remembered policy of the stored document.
          expect({ query, header: await headerOf(ours, query, representations) }).toEqual({ query, header: expected });
          expect(await headerOf(ours, query, representations)).toBe(expected);
          seen.add(expected ?? '');
        }
        // The set is not trivially all no-store: some answers are cacheable.
        expect([...seen].some((h) => h.startsWith('max-age='))).toBe(true);
      } finally {
        await Promise.all([apollo.stop(), ours.stop()]);
      }
    });
  }

  it('answers no-store for an answer with errors and for a mutation', async () => {
    const schema = buildSubgraphSchema({
      typeDefs: parse(`
        directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT
        enum CacheControlScope { PUBLIC PRIVATE }
        type Query { ok: Int @cacheControl(maxAge: 60) broken: Int @cacheControl(maxAge: 60) mine: Int @cacheControl(maxAge: 30, scope: PRIVATE) }
        type Mutation { touch: Int @cacheControl(maxAge: 60) }
      `),
      resolvers: {
        Query: { ok: () => 1, broken: () => Promise.reject(new Error('no')), mine: () => 2 },
        Mutation: { touch: () => 1 },
      },
    });
    const ours = new ApolloServer({
      schema,
      plugins: [
        ApolloServerPluginInlineTraceDisabled(),
        ApolloServerPluginCacheControlDisabled(),
        staticCacheControlPlugin(),
      ],
    });
    await ours.start();
    try {
      expect(await headerOf(ours, '{ ok }', null)).toBe('max-age=60, public');
      expect(await headerOf(ours, '{ ok mine }', null)).toBe('max-age=30, private');
      expect(await headerOf(ours, '{ ok broken }', null)).toBe('no-store');
      expect(await headerOf(ours, 'mutation { touch }', null)).toBe('no-store');
      expect(await headerOf(ours, '{ nope }', null)).toBe('no-store');
    } finally {
      await ours.stop();
    }
  });
});
