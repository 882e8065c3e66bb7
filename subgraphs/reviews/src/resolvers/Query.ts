import { notFound } from '../../../../lib/errors.ts';
import { parseId } from '../../../../lib/graphql/index.ts';
import type { QueryResolvers } from '../__generated__/resolvers-types.ts';

export const Query: QueryResolvers = {
  async review(_parent, args, { loaders }) {
    const id = parseId(args.id);
    const review = await loaders.reviewById.load(id);
    if (!review) throw notFound('Review', id);
    return review;
  },
};
