import { DateTimeScalar } from '../../../lib/graphql/index.ts';
import {
  createSubgraphApollo,
  subgraphContextFactory,
  type SubgraphDeps,
  type SubgraphServer,
} from '../../../lib/subgraph/index.ts';
import type { Resolvers } from './__generated__/resolvers-types.ts';
import type { Context } from './context.ts';
import type { ProductsPrisma } from './db.ts';
import { createLoaders } from './loaders.ts';
import { Category } from './resolvers/Category.ts';
import { Product, ProductConnection } from './resolvers/Product.ts';
import { Query } from './resolvers/Query.ts';
import { User } from './resolvers/User.ts';

const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Product, ProductConnection, Category, User };

export function buildServer(deps: SubgraphDeps<ProductsPrisma>): SubgraphServer<Context> {
  return {
    apollo: createSubgraphApollo({ name: 'products', resolvers, logger: deps.logger }),
    context: subgraphContextFactory(deps, createLoaders),
  };
}
