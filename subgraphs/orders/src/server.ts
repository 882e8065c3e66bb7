import { DateTimeScalar } from '../../../lib/graphql/index.ts';
import { createSubgraphApollo, subgraphContextFactory, type SubgraphDeps, type SubgraphServer } from '../../../lib/subgraph/index.ts';
import type { Resolvers } from './__generated__/resolvers-types.ts';
import type { Context } from './context.ts';
import type { OrdersPrisma } from './db.ts';
import { createLoaders } from './loaders.ts';
import { Order, OrderConnection, OrderItem } from './resolvers/Order.ts';
import { Query } from './resolvers/Query.ts';
import { User } from './resolvers/User.ts';

const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Order, OrderItem, OrderConnection, User };

export function buildServer(deps: SubgraphDeps<OrdersPrisma>): SubgraphServer<Context> {
  return { apollo: createSubgraphApollo({ name: 'orders', resolvers, logger: deps.logger }), context: subgraphContextFactory(deps, createLoaders) };
}
