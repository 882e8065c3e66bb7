import { isUuid, pageRequest, toConnection } from '../../../../lib/graphql/index.ts';
import type { ProductResolvers } from '../__generated__/resolvers-types.ts';

export const Product: ProductResolvers = {
  __resolveReference: (reference) => ({ id: reference.id }),
  async reviews(product, args, { loaders }) {
    const page = pageRequest(args, 10);
    if (!isUuid(product.id)) return { ...toConnection([], page), totalCount: () => Promise.resolve(0) };
    const rows = await loaders.reviewPageByProduct(page).load(product.id);
    return {
      ...toConnection(rows, page),
      totalCount: async () => (await loaders.statsByProduct.load(product.id))?.count ?? 0,
    };
  },
  async averageRating(product, _args, { loaders }) {
    if (!isUuid(product.id)) return null;
    const average = (await loaders.statsByProduct.load(product.id))?.averageRating;
    return average === null || average === undefined ? null : Math.round(average * 100) / 100;
  },
  async reviewCount(product, _args, { loaders }) {
    return isUuid(product.id) ? ((await loaders.statsByProduct.load(product.id))?.count ?? 0) : 0;
  },
};
