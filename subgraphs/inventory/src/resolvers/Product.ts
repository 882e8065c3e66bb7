import { isUuid } from '../../../../lib/graphql/index.ts';
import type { ProductResolvers } from '../__generated__/resolvers-types.ts';

export const Product: ProductResolvers = {
  __resolveReference: (reference) => ({ id: reference.id }),
  async stock(product, _args, { loaders }) {
    const item = isUuid(product.id) ? await loaders.stockByProduct.load(product.id.toLowerCase()) : null;
    const onHand = item?.onHand ?? 0;
    const reserved = item?.reserved ?? 0;
    const available = Math.max(0, onHand - reserved);
    return { available, reserved, inStock: available > 0 };
  },
};
