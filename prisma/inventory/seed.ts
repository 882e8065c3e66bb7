import { demoData, insertInChunks } from '../../lib/seed/index.ts';
import type { SeedReport } from '../../lib/subgraph/index.ts';
import type { InventoryPrisma } from '../../subgraphs/inventory/src/db.ts';

/** Stock levels of the demo catalog; existing rows are kept, so seeding is repeatable. */
export async function seedInventory(prisma: InventoryPrisma, scale: number): Promise<SeedReport> {
  const data = demoData(scale);
  const stockItems = await insertInChunks(data.stock, (chunk) =>
    prisma.stockItem.createMany({ data: chunk, skipDuplicates: true }),
  );
  return { seeded: stockItems > 0, rows: { stockItems } };
}
