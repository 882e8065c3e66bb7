import {
  createSubgraphApollo,
  subgraphContextFactory,
  type SubgraphDeps,
  type SubgraphServer,
} from '../../../lib/subgraph/index.ts';
import type { Resolvers } from './__generated__/resolvers-types.ts';
import type { Context } from './context.ts';
import type { InventoryPrisma } from './db.ts';
import { createLoaders } from './loaders.ts';
import { Mutation } from './resolvers/Mutation.ts';
import { Product } from './resolvers/Product.ts';

const resolvers: Resolvers = { Product, Mutation };

export function buildServer(deps: SubgraphDeps<InventoryPrisma>): SubgraphServer<Context> {
  return {
    apollo: createSubgraphApollo({ name: 'inventory', resolvers, logger: deps.logger }),
    context: subgraphContextFactory(deps, createLoaders),
  };
}
