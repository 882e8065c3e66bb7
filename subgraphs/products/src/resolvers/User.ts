import { requireOwner } from '../../../../lib/auth/index.ts';
import { badUserInput } from '../../../../lib/errors.ts';
import { MAX_PAGE_SIZE } from '../../../../lib/graphql/index.ts';
import type { UserResolvers } from '../__generated__/resolvers-types.ts';

export const User: UserResolvers = {
  __resolveReference: (reference) => ({ id: reference.id }),
  recommendations(user, args, { identity, loaders }) {
    // Ranked from what the user bought, so as private as their purchase history.
    requireOwner(identity, user.id, 'recommendations');
    const first = args.first ?? 10;
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
      throw badUserInput(`"first" must be between 1 and ${MAX_PAGE_SIZE}, got ${first}`, 'first');
    }
    return loaders.recommendationsByUser(first).load(user.id);
  },
  async favouriteCategory(user, _args, { identity, loaders }) {
    requireOwner(identity, user.id, 'favourite category');
    const favourite = await loaders.favouriteCategoryByUser.load(user.id.toLowerCase());
    return favourite ? loaders.categoryById.load(favourite.categoryId) : null;
  },
};
