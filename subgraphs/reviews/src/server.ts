import { DateTimeScalar } from '../../../lib/graphql/index.ts';
import {
  createSubgraphApollo,
  subgraphContextFactory,
  type SubgraphDeps,
  type SubgraphServer,
} from '../../../lib/subgraph/index.ts';
import type { Resolvers } from './__generated__/resolvers-types.ts';
import type { Context } from './context.ts';
import type { ReviewsPrisma } from './db.ts';
import { createLoaders } from './loaders.ts';
import { Mutation } from './resolvers/Mutation.ts';
import { Product } from './resolvers/Product.ts';
import { Query } from './resolvers/Query.ts';
import { Review, ReviewConnection } from './resolvers/Review.ts';
import { User } from './resolvers/User.ts';

const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Mutation, Review, ReviewConnection, Product, User };

export function buildServer(deps: SubgraphDeps<ReviewsPrisma>): SubgraphServer<Context> {
  return {
    apollo: createSubgraphApollo({ name: 'reviews', resolvers, logger: deps.logger }),
    context: subgraphContextFactory(deps, createLoaders),
  };
}
