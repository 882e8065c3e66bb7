import { LocalGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { execute, GraphQLError, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { readFileSync } from 'node:fs';
import {
  localFetcher,
  staticCachePolicy,
  type CacheHint,
  type CacheRuntime,
  type FetchResponse,
  type LocalFetch,
  type RestrictablePolicy,
} from '../cache/index.ts';
import { remembered } from '../cache/memo.ts';
import { bffSchemaPath, bffSubgraphName } from '../composition.ts';
import { unauthenticated } from '../errors.ts';
import { DateTimeScalar } from '../graphql/index.ts';
import type { GatewayName } from '../services.ts';
import type { GatewayContext } from './context.ts';

/** A gateway's own subgraph: its client's dashboard and presentation fields, served in-process. */
export interface BffDefinition {
  resolvers: GraphQLResolverMap<GatewayContext>;
}

/**
 * Apollo's LocalGraphQLDataSource runs `graphql()` per fetch: parse and validate the planner's
 * fetch text every time. The planner sends the same few texts, so each is parsed and validated once.
 */
class PreparedLocalDataSource extends LocalGraphQLDataSource<GatewayContext> {
  readonly #prepared: (query: string) => DocumentNode | readonly GraphQLError[];

  constructor(schema: GraphQLSchema) {
    super(schema);
    this.#prepared = remembered(2000, (query) => {
      let document: DocumentNode;
      try {
        document = parse(query);
      } catch (error) {
        return [error instanceof GraphQLError ? error : new GraphQLError(String(error))];
      }
      const errors = validate(schema, document);
      return errors.length ? errors : document;
    });
  }

  override async process({
    request,
    context,
  }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<FetchResponse> {
    const prepared = this.#prepared(request.query ?? '');
    if (!('kind' in prepared)) return { errors: prepared };
    return execute({
      schema: this.schema,
      document: prepared,
      variableValues: request.variables,
      operationName: request.operationName,
      contextValue: context,
    });
  }
}

/** The BFF's fetches under the gateway's caches: its @cacheControl hints restrict the response's policy, its entities are tagged. */
class CachedLocalDataSource extends PreparedLocalDataSource {
  readonly #fetch: (fetch: LocalFetch) => Promise<FetchResponse>;

  constructor(
    schema: GraphQLSchema,
    readonly name: string,
    cache: CacheRuntime,
  ) {
    super(schema);
    this.#fetch = localFetcher(cache, schema);
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<FetchResponse> {
    const state = (options.context as Partial<GatewayContext>).cache?.state;
    if (!state) return super.process(options);
    const incoming = 'incomingRequestContext' in options ? options.incomingRequestContext : null;
    return this.#fetch({
      subgraph: this.name,
      request: options.request,
      state,
      policy: (incoming?.overallCachePolicy as RestrictablePolicy | undefined) ?? null,
      execute: (request) => super.process({ ...options, request }),
    });
  }
}

/**
 * The BFF's fetches without the caches (CACHE_ENABLED=false, or no cache at all): its hints still
 * restrict the response's policy, so a private dashboard never goes out as `cache-control: public`
 * for a shared cache (a CDN, a proxy) to keep.
 */
class HintedLocalDataSource extends PreparedLocalDataSource {
  readonly #policyOf: (query: string) => CacheHint;

  constructor(schema: GraphQLSchema) {
    super(schema);
    this.#policyOf = remembered(2000, (query) => staticCachePolicy(schema, parse(query)));
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<FetchResponse> {
    const response = await super.process(options);
    const policy: RestrictablePolicy | null =
      'incomingRequestContext' in options
        ? (options.incomingRequestContext.overallCachePolicy as RestrictablePolicy)
        : null;
    const query = options.request.query;
    if (policy && query) policy.restrict(response.errors?.length ? { maxAge: 0 } : this.#policyOf(query));
    return response;
  }
}

/**
 * The BFF runs inside the gateway (LocalGraphQLDataSource): the query planner treats it like any
 * subgraph, but its fetches cost no network hop, and its resolvers see the gateway's context, so the
 * dashboard is always the verified caller's.
 */
export function bffDataSource(
  gateway: GatewayName,
  bff: BffDefinition,
  cache: CacheRuntime | null = null,
): { name: string; source: LocalGraphQLDataSource<GatewayContext> } {
  const schema = buildSubgraphSchema({
    typeDefs: parse(readFileSync(bffSchemaPath(gateway), 'utf8')),
    resolvers: { DateTime: DateTimeScalar, ...bff.resolvers },
  });
  const name = bffSubgraphName(gateway);
  return {
    name,
    source: cache ? new CachedLocalDataSource(schema, name, cache) : new HintedLocalDataSource(schema),
  };
}

/** The signed-in user's id, or UNAUTHENTICATED: dashboards exist only for a verified caller. */
export function signedInUserId(context: GatewayContext): string {
  if (!context.userId) throw unauthenticated('Sign in to see your dashboard');
  return context.userId;
}

/** The dashboard root: a reference to the caller, whose fields the planner fetches from the domain subgraphs. */
export function dashboardFor(context: GatewayContext) {
  return { user: { __typename: 'User', id: signedInUserId(context) }, generatedAt: new Date() };
}
