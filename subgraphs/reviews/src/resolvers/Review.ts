import { isUuid } from '../../../../lib/graphql/index.ts';
import type { ReviewConnectionResolvers, ReviewResolvers } from '../__generated__/resolvers-types.ts';

export const Review: ReviewResolvers = {
  __resolveReference(reference, { loaders }) {
    return isUuid(reference.id) ? loaders.reviewById.load(reference.id.toLowerCase()) : null;
  },
  author: (review) => ({ id: review.authorId }),
  product: (review) => ({ id: review.productId }),
};

export const ReviewConnection: ReviewConnectionResolvers = {
  totalCount: (connection) => connection.totalCount(),
};
