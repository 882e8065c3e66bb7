import { isUuid, pageRequest, toConnection } from '../../../../lib/graphql/index.ts';
import type { CategoryResolvers } from '../__generated__/resolvers-types.ts';

export const Category: CategoryResolvers = {
  __resolveReference(reference, { loaders }) {
    return isUuid(reference.id) ? loaders.categoryById.load(reference.id.toLowerCase()) : null;
  },
  async products(category, args, { loaders }) {
    const page = pageRequest(args);
    const rows = await loaders.productPageByCategory(page).load(category.id);
    return {
      ...toConnection(rows, page),
      totalCount: async () => (await loaders.productCountByCategory.load(category.id))?.count ?? 0,
    };
  },
};
