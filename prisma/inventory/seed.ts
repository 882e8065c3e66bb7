import { demoData, insertInChunks } from '../../lib/seed/index.ts';
import type { SeedReport } from '../../lib/subgraph/index.ts';
import type { InventoryPrisma } from '../../subgraphs/inventory/src/db.ts';

/**
 * Stock levels of the demo catalog, and the hold of each demo order placed through checkout as its
 * saga left it: COMMITTED, its lines' units gone from on hand (the levels are those after the
 * commit) and none reserved, so a cancellation returns them. Existing rows are kept (ids are
 * stable), so seeding is repeatable.
 */
export async function seedInventory(prisma: InventoryPrisma, scale: number): Promise<SeedReport> {
  const data = demoData(scale);
  const stockItems = await insertInChunks(data.stock, (chunk) =>
    prisma.stockItem.createMany({ data: chunk, skipDuplicates: true }),
  );
  const placed = data.orders.flatMap((order) => (order.checkout ? [{ order, checkout: order.checkout }] : []));
  // A checkout saga's hold is keyed by the saga id, which is its order's id.
  const stockHolds = await insertInChunks(placed, (chunk) =>
    prisma.stockHold.createMany({
      data: chunk.map(({ order, checkout }) => ({
        sagaId: order.id,
        status: 'COMMITTED' as const,
        createdAt: order.createdAt,
        updatedAt: checkout.committedAt,
      })),
      skipDuplicates: true,
    }),
  );
  await insertInChunks(
    placed.flatMap(({ order }) =>
      order.items.map((item) => ({ sagaId: order.id, productId: item.productId, quantity: item.quantity })),
    ),
    (chunk) => prisma.reservation.createMany({ data: chunk, skipDuplicates: true }),
  );
  return { seeded: stockItems + stockHolds > 0, rows: { stockItems, stockHolds } };
}
