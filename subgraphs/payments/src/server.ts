import { DateTimeScalar } from '../../../lib/graphql/index.ts';
import {
  createSubgraphApollo,
  subgraphContextFactory,
  type SubgraphDeps,
  type SubgraphServer,
} from '../../../lib/subgraph/index.ts';
import type { Resolvers } from './__generated__/resolvers-types.ts';
import type { Context } from './context.ts';
import type { PaymentsPrisma } from './db.ts';
import { createLoaders } from './loaders.ts';
import { createCardProcessor, processorConfigFromEnv } from './processor/index.ts';
import { createMutation } from './resolvers/Mutation.ts';
import { Order, Payment } from './resolvers/Payment.ts';
import { Query } from './resolvers/Query.ts';

export function buildServer(deps: SubgraphDeps<PaymentsPrisma>): SubgraphServer<Context> {
  const processorConfig = processorConfigFromEnv(deps.env);
  const Mutation = createMutation({
    processor: createCardProcessor(processorConfig),
    processorLatencyMs: processorConfig.latencyMs,
  });
  const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Mutation, Payment, Order };
  return {
    apollo: createSubgraphApollo({ name: 'payments', resolvers, logger: deps.logger }),
    context: subgraphContextFactory(deps, createLoaders),
  };
}
