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
import { paymentsConfigFromEnv } from './config.ts';
import { createCardProcessor, databaseLedger } from './processor/index.ts';
import { createMutation } from './resolvers/Mutation.ts';
import { Order, Payment } from './resolvers/Payment.ts';
import { Query } from './resolvers/Query.ts';

export function buildServer(deps: SubgraphDeps<PaymentsPrisma>): SubgraphServer<Context> {
  const config = paymentsConfigFromEnv(deps.env);
  const Mutation = createMutation({
    // The simulator keeps its books in this database, each entry its own statement: see ProcessorEntry.
    processor: createCardProcessor(config.processor, { ledger: databaseLedger(deps.prisma) }),
    processorTimeoutMs: config.processor.timeoutMs,
    transactionTimeoutMs: config.transactionTimeoutMs,
    faultAt: config.faultAt,
  });
  const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Mutation, Payment, Order };
  return {
    apollo: createSubgraphApollo({ name: 'payments', resolvers, logger: deps.logger }),
    context: subgraphContextFactory(deps, createLoaders),
  };
}
