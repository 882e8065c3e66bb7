import { demoData, insertInChunks } from '../../lib/seed/index.ts';
import type { SeedReport } from '../../lib/subgraph/index.ts';
import type { OrdersPrisma } from '../../subgraphs/orders/src/db.ts';

/** The demo order history; existing rows are kept (ids are stable), so seeding is repeatable. */
export async function seedOrders(prisma: OrdersPrisma, scale: number): Promise<SeedReport> {
  const data = demoData(scale);
  const orders = await insertInChunks(data.orders, (chunk) =>
    prisma.order.createMany({ data: chunk.map(({ items: _items, ...order }) => order), skipDuplicates: true }),
  );
  const orderItems = await insertInChunks(
    data.orders.flatMap((order) => order.items.map((item) => ({ ...item, orderId: order.id }))),
    (chunk) => prisma.orderItem.createMany({ data: chunk, skipDuplicates: true }),
  );
  return { seeded: orders + orderItems > 0, rows: { orders, orderItems } };
}
