import { rowsByKey } from '../../../lib/db/index.ts';
import { uniqueLoader } from '../../../lib/loaders.ts';
import type { InventoryPrisma, StockItemRecord } from './db.ts';

export function createLoaders(prisma: InventoryPrisma) {
  return {
    stockByProduct: uniqueLoader(
      // Every product of a plan asks for its stock: raw SQL, see rowsByKey.
      (productIds: readonly string[]) =>
        rowsByKey<StockItemRecord>(prisma, { table: '"StockItem"', column: '"productId"' }, productIds),
      (item) => item.productId,
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
