import { DateTimeScalar } from '../../../lib/graphql/index.ts';
import {
  createSubgraphApollo,
  subgraphContextFactory,
  type SubgraphDeps,
  type SubgraphServer,
} from '../../../lib/subgraph/index.ts';
import type { Resolvers } from './__generated__/resolvers-types.ts';
import type { Context } from './context.ts';
import type { UsersPrisma } from './db.ts';
import { createLoaders } from './loaders.ts';
import { Mutation } from './resolvers/Mutation.ts';
import { Query } from './resolvers/Query.ts';
import { User, UserConnection } from './resolvers/User.ts';

const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Mutation, User, UserConnection };

export function buildServer(deps: SubgraphDeps<UsersPrisma>): SubgraphServer<Context> {
  return {
    apollo: createSubgraphApollo({ name: 'users', resolvers, logger: deps.logger }),
    context: subgraphContextFactory(deps, createLoaders),
  };
}
