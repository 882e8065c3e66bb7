import type { SagaResolvers } from '../__generated__/resolvers-types.ts';

/** Reached only through an order, whose resolvers already checked that the caller owns it. */
export const Saga: SagaResolvers = {
  steps: (saga, _args, { loaders }) => loaders.stepsBySaga.load(saga.id),
};
