import { DateTimeScalar } from '../../../lib/graphql/index.ts';
import {
  createSubgraphApollo,
  subgraphContextFactory,
  type SubgraphDeps,
  type SubgraphServer,
} from '../../../lib/subgraph/index.ts';
import type { Resolvers } from './__generated__/resolvers-types.ts';
import type { Context } from './context.ts';
import type { OrdersPrisma } from './db.ts';
import { createLoaders } from './loaders.ts';
import { Cart, CartLine } from './resolvers/Cart.ts';
import { Mutation } from './resolvers/Mutation.ts';
import { Order, OrderConnection, OrderItem } from './resolvers/Order.ts';
import { Query } from './resolvers/Query.ts';
import { Saga } from './resolvers/Saga.ts';
import { User } from './resolvers/User.ts';
import { acquireOrdersRuntime } from './runtime.ts';

const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query,
  Mutation,
  Order,
  OrderItem,
  OrderConnection,
  User,
  Cart,
  CartLine,
  Saga,
};

/** The orders subgraph, on the process's one runtime (other services' clients, the saga runner), released when it closes. */
export function buildServer(deps: SubgraphDeps<OrdersPrisma>): SubgraphServer<Context> {
  const runtime = acquireOrdersRuntime(deps);
  const base = subgraphContextFactory(deps, createLoaders);
  return {
    apollo: createSubgraphApollo({ name: 'orders', resolvers, logger: deps.logger }),
    context: async (info) => ({ ...(await base(info)), orders: runtime }),
    close: () => runtime.close(),
  };
}
