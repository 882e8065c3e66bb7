import { demoData, insertInChunks, salesOrders, type DemoData } from '../../lib/seed/index.ts';
import type { SeedReport } from '../../lib/subgraph/index.ts';
import type { ReviewsPrisma } from '../../subgraphs/reviews/src/db.ts';

interface PurchaseRow {
  userId: string;
  productId: string;
  orderId: string;
  purchasedAt: Date;
}

/**
 * Who bought what, from the same demo orders the orders service seeds, as the order.confirmed events
 * would have recorded it: the earliest sale per user and product.
 */
function purchasesOf(data: DemoData): PurchaseRow[] {
  const purchases = new Map<string, PurchaseRow>();
  for (const order of salesOrders(data)) {
    for (const item of order.items) {
      const key = `${order.userId}:${item.productId}`;
      const known = purchases.get(key);
      if (!known || order.createdAt < known.purchasedAt) {
        purchases.set(key, {
          userId: order.userId,
          productId: item.productId,
          orderId: order.id,
          purchasedAt: order.createdAt,
        });
      }
    }
  }
  return [...purchases.values()];
}

/**
 * The demo reviews and purchases; existing rows are kept (ids are stable), so seeding is repeatable.
 * A demo review is a verified purchase when its author bought the product in the demo orders, and
 * reviews seeded before purchases were tracked are brought in line by the final update.
 */
export async function seedReviews(prisma: ReviewsPrisma, scale: number): Promise<SeedReport> {
  const data = demoData(scale);
  const purchases = purchasesOf(data);
  const bought = new Set(purchases.map((p) => `${p.userId}:${p.productId}`));
  const rows = {
    purchases: await insertInChunks(purchases, (chunk) =>
      prisma.purchase.createMany({ data: chunk, skipDuplicates: true }),
    ),
    reviews: await insertInChunks(
      data.reviews.map((review) => ({
        ...review,
        verifiedPurchase: bought.has(`${review.authorId}:${review.productId}`),
      })),
      (chunk) => prisma.review.createMany({ data: chunk, skipDuplicates: true }),
    ),
    verifiedReviews: await prisma.$executeRawUnsafe(
      `UPDATE "Review" r SET "verifiedPurchase" = true, "updatedAt" = CURRENT_TIMESTAMP
       FROM "Purchase" p WHERE p."userId" = r."authorId" AND p."productId" = r."productId" AND NOT r."verifiedPurchase"`,
    ),
  };
  return { seeded: Object.values(rows).some((n) => n > 0), rows };
}
