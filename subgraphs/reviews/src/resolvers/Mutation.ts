import { unauthenticated } from '../../../../lib/errors.ts';
import type { MutationResolvers } from '../__generated__/resolvers-types.ts';
import { addReview, newReviewOf } from '../addReview.ts';

export const Mutation: MutationResolvers = {
  async addReview(_parent, args, { identity, prisma }) {
    if (!identity.userId) throw unauthenticated('Sign in to review a product');
    return addReview(prisma, identity.userId, newReviewOf(args));
  },
};
