import { LocalGraphQLDataSource } from '@apollo/gateway';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { parse } from 'graphql';
import { readFileSync } from 'node:fs';
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
 * The BFF runs inside the gateway (LocalGraphQLDataSource): the query planner treats it like any
 * subgraph, but its fetches cost no network hop, and its resolvers see the gateway's context, so the
 * dashboard is always the verified caller's.
 */
export function bffDataSource(gateway: GatewayName, bff: BffDefinition): { name: string; source: LocalGraphQLDataSource<GatewayContext> } {
  const schema = buildSubgraphSchema({
    typeDefs: parse(readFileSync(bffSchemaPath(gateway), 'utf8')),
    resolvers: { DateTime: DateTimeScalar, ...bff.resolvers } as GraphQLResolverMap<unknown>,
  });
  return { name: bffSubgraphName(gateway), source: new LocalGraphQLDataSource<GatewayContext>(schema) };
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
