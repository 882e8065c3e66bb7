import { uniqueLoader } from '../../../lib/loaders.ts';
import type { InventoryPrisma } from './db.ts';

export function createLoaders(prisma: InventoryPrisma) {
  return {
    stockByProduct: uniqueLoader(
      (productIds: readonly string[]) => prisma.stockItem.findMany({ where: { productId: { in: [...productIds] } } }),
      (item) => item.productId,
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
