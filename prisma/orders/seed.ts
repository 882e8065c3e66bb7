import { demoData, insertInChunks, type DemoCheckout, type DemoData } from '../../lib/seed/index.ts';
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

type DemoOrder = DemoData['orders'][number];

function placedEvent(order: DemoOrder): NewOrderEvent {
  return orderEvent(
    'OrderPlaced',
    {
      orderId: order.id,
      userId: order.userId,
      currency: order.currency,
      totalCents: order.totalCents,
      items: order.items,
      checkout: order.checkout ? { deadline: order.checkout.deadline.toISOString() } : null,
    },
    order.createdAt,
  );
}

/**
 * The demo order history as the log would hold it: placed (without a saga: imported history), then
 * confirmed, shipped, delivered, cancelled or failed, each at a fixed offset from the order's date.
 */
function historyOf(order: DemoOrder): NewOrderEvent[] {
  const at = (offsetMs: number) => new Date(order.createdAt.getTime() + offsetMs);
  const placed = placedEvent(order);
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
 * An order placed through checkout, as its saga's runner appends it when every step succeeds at its
 * first attempt (placeOrder, then SagaRunner): placed with the reservation started, each step started
 * and succeeded with its provider's answer, confirmed at the pivot with COMMIT_STOCK started, completed.
 */
function checkoutLogOf(order: DemoOrder, checkout: DemoCheckout): NewOrderEvent[] {
  return [
    placedEvent(order),
    orderEvent('SagaStepStarted', { step: 'RESERVE_STOCK', attempt: 1 }, order.createdAt),
    orderEvent('SagaStepSucceeded', { step: 'RESERVE_STOCK', detail: 'HELD' }, checkout.reservedAt),
    orderEvent('SagaStepStarted', { step: 'CHARGE_PAYMENT', attempt: 1 }, checkout.reservedAt),
    orderEvent('SagaStepSucceeded', { step: 'CHARGE_PAYMENT', detail: 'CAPTURED' }, checkout.chargedAt),
    orderEvent('OrderConfirmed', {}, checkout.chargedAt),
    orderEvent('SagaStepStarted', { step: 'COMMIT_STOCK', attempt: 1 }, checkout.chargedAt),
    orderEvent('SagaStepSucceeded', { step: 'COMMIT_STOCK', detail: 'COMMITTED' }, checkout.committedAt),
    orderEvent('SagaCompleted', { outcome: 'SUCCEEDED' }, checkout.completedAt),
  ];
}

/** The events of a demo order's stream, as the log holds them. */
function demoOrderEvents(order: DemoOrder): NewOrderEvent[] {
  return order.checkout ? checkoutLogOf(order, order.checkout) : historyOf(order);
}

/**
 * The demo order history, written as events and projected into the read model like any other
 * order (an order placed through checkout gets its saga and steps, as the runner's projection left
 * them), so `orders:rebuild-read-model` reproduces it. Events have stable stream ids and versions,
 * so seeding again inserts nothing; only streams whose order row is missing are projected.
 */
export async function seedOrders(prisma: OrdersPrisma, scale: number): Promise<SeedReport> {
  const data = demoData(scale);
  const rows = data.orders.flatMap((order) =>
    demoOrderEvents(order).map((event, i) => {
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
    rows: {
      orders: written.orders,
      orderItems: written.orderItems,
      sagas: written.sagas,
      sagaSteps: written.sagaSteps,
    },
  };
}
