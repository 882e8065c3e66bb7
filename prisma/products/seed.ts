import { demoData, insertInChunks, salesOrders } from '../../lib/seed/index.ts';
import type { SeedReport } from '../../lib/subgraph/index.ts';
import type { ProductsPrisma } from '../../subgraphs/products/src/db.ts';

/**
 * The catalog, plus the two read models products ranks with (units sold, user-category affinity),
 * derived from the same demo orders the orders service seeds, as the order events would build them.
 */
export async function seedProducts(prisma: ProductsPrisma, scale: number): Promise<SeedReport> {
  const data = demoData(scale);
  const categoryOf = new Map(data.products.map((p) => [p.id, p.categoryId]));
  const unitsSold = new Map<string, number>();
  const affinity = new Map<string, { userId: string; categoryId: string; score: number }>();
  for (const order of salesOrders(data)) {
    for (const item of order.items) {
      unitsSold.set(item.productId, (unitsSold.get(item.productId) ?? 0) + item.quantity);
      const categoryId = categoryOf.get(item.productId) as string;
      const key = `${order.userId}:${categoryId}`;
      const entry = affinity.get(key) ?? { userId: order.userId, categoryId, score: 0 };
      entry.score += item.quantity;
      affinity.set(key, entry);
    }
  }
  const rows = {
    categories: await insertInChunks(data.categories, (chunk) =>
      prisma.category.createMany({ data: chunk, skipDuplicates: true }),
    ),
    products: await insertInChunks(data.products, (chunk) =>
      prisma.product.createMany({ data: chunk, skipDuplicates: true }),
    ),
    productSales: await insertInChunks(
      [...unitsSold].map(([productId, units]) => ({ productId, unitsSold: units })),
      (chunk) => prisma.productSales.createMany({ data: chunk, skipDuplicates: true }),
    ),
    userCategoryAffinity: await insertInChunks([...affinity.values()], (chunk) =>
      prisma.userCategoryAffinity.createMany({ data: chunk, skipDuplicates: true }),
    ),
  };
  return { seeded: Object.values(rows).some((n) => n > 0), rows };
}
