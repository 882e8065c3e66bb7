import { isUuid, money } from '../../../../lib/graphql/index.ts';
import type { ProductConnectionResolvers, ProductResolvers } from '../__generated__/resolvers-types.ts';

export const Product: ProductResolvers = {
  __resolveReference(reference, { loaders }) {
    return isUuid(reference.id) ? loaders.productById.load(reference.id.toLowerCase()) : null;
  },
  price: (product) => money(product.priceCents, product.currency),
  async category(product, _args, { loaders }) {
    const category = await loaders.categoryById.load(product.categoryId);
    if (!category) throw new Error(`Product ${product.id} has no category ${product.categoryId}`);
    return category;
  },
};

export const ProductConnection: ProductConnectionResolvers = {
  totalCount: (connection) => connection.totalCount(),
};
