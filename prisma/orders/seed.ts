import { demoData, insertInChunks, type DemoData } from '../../lib/seed/index.ts';
import type { SeedReport } from '../../lib/subgraph/index.ts';
import type { OrdersPrisma } from '../../subgraphs/orders/src/db.ts';
import {
  currentDataVersion,
  orderEvent,
  validateEventData,
  type NewOrderEvent,
} from '../../subgraphs/orders/src/eventStore/events.ts';
import { projectStreams } from '../../subgraphs/orders/src/readModel/rebuild.ts';

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;

/**
 * The demo order history as the log would hold it: placed (without a saga: imported history), then
 * confirmed, shipped, delivered, cancelled or failed, each at a fixed offset from the order's date.
 */
function historyOf(order: DemoData['orders'][number]): NewOrderEvent[] {
  const at = (offsetMs: number) => new Date(order.createdAt.getTime() + offsetMs);
  const placed = orderEvent(
    'OrderPlaced',
    {
      orderId: order.id,
      userId: order.userId,
      currency: order.currency,
      totalCents: order.totalCents,
      items: order.items,
      checkout: null,
    },
    order.createdAt,
  );
  if (order.status === 'FAILED')
    return [placed, orderEvent('OrderFailed', { reason: 'payment declined (card_declined)' }, at(2 * SECOND))];
  const events = [placed, orderEvent('OrderConfirmed', {}, at(2 * SECOND))];
  if (order.status === 'SHIPPED' || order.status === 'DELIVERED') events.push(orderEvent('OrderShipped', {}, at(DAY)));
  if (order.status === 'DELIVERED') events.push(orderEvent('OrderDelivered', {}, at(3 * DAY)));
  if (order.status === 'CANCELLED')
    events.push(orderEvent('OrderCancelled', { reason: 'cancelled by the customer', cancellationId: null }, at(HOUR)));
  return events;
}

/**
 * The demo order history, written as events and projected into the read model like any other
 * order, so `orders:rebuild-read-model` reproduces it. Events have stable stream ids and versions,
 * so seeding again inserts nothing; only streams whose order row is missing are projected.
 */
export async function seedOrders(prisma: OrdersPrisma, scale: number): Promise<SeedReport> {
  const data = demoData(scale);
  const rows = data.orders.flatMap((order) =>
    historyOf(order).map((event, i) => {
      const version = i + 1;
      validateEventData(event.type, currentDataVersion(event.type), event.data, `${order.id}@${version}`);
      return {
        streamId: order.id,
        version,
        type: event.type,
        dataVersion: currentDataVersion(event.type),
        data: event.data,
        occurredAt: event.occurredAt,
      };
    }),
  );
  await insertInChunks(rows, (chunk) => prisma.orderEvent.createMany({ data: chunk, skipDuplicates: true }));
  const ids = data.orders.map((o) => o.id);
  const present = new Set(
    (await prisma.order.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((o) => o.id),
  );
  const written = await projectStreams(
    prisma,
    ids.filter((id) => !present.has(id)),
  );
  return {
    seeded: written.orders + written.orderItems > 0,
    rows: { orders: written.orders, orderItems: written.orderItems },
  };
}
