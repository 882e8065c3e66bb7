import { isUuid, pageRequest, toConnection } from '../../../../lib/graphql/index.ts';
import type { UserResolvers } from '../__generated__/resolvers-types.ts';

export const User: UserResolvers = {
  __resolveReference: (reference) => ({ id: reference.id }),
  async reviews(user, args, { loaders }) {
    const page = pageRequest(args, 10);
    if (!isUuid(user.id)) return { ...toConnection([], page), totalCount: () => Promise.resolve(0) };
    const rows = await loaders.reviewPageByAuthor(page).load(user.id);
    return {
      ...toConnection(rows, page),
      totalCount: async () => (await loaders.countByAuthor.load(user.id))?.count ?? 0,
    };
  },
};
