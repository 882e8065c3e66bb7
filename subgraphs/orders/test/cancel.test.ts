// cancelOrder: a confirmed order's own saga refunds (with the checkout saga's id), returns the stock,
// then cancels the order and publishes order.cancelled; other states are refused or left alone.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoData } from '../../../lib/seed/index.ts';
import { cancellationIdOf } from '../src/checkout/cancelOrder.ts';
import {
  CARDS,
  catalogue,
  checkout,
  fillCart,
  ORDER_FIELDS,
  orderOf,
  settledOrder,
  startOrdersHarness,
  type OrdersHarness,
} from './support/harness.ts';

let h: OrdersHarness;
const products = catalogue();
const CANCEL = `mutation($id: ID!, $reason: String) { cancelOrder(orderId: $id, reason: $reason) { ${ORDER_FIELDS} } }`;

beforeAll(async () => {
  h = await startOrdersHarness('cancel');
});
afterAll(() => h?.close());

async function confirmedOrder(user: string, key: string, productIndex: number) {
  await fillCart(h, user, [{ productId: products[productIndex]!.id, quantity: 2 }]);
  const placed = orderOf((await checkout(h, user, key, CARDS.visa)).body);
  const order = await settledOrder(h, user, placed.id);
  expect(order.status).toBe('CONFIRMED');
  return order;
}

describe('cancelOrder', () => {
  it('refunds, returns the stock, then cancels the order and publishes order.cancelled', async () => {
    const user = randomUUID();
    const order = await confirmedOrder(user, 'to-cancel', 40);
    const product = products[40]!.id;
    const onHandBefore = h.standIns.inventory.levelOf(product).onHand;
    const answer = orderOf(
      (await h.gql(user, CANCEL, { id: order.id, reason: 'changed my mind' })).body,
      'cancelOrder',
    );
    expect(answer.status).toBe('CONFIRMED');
    expect(answer.cancellation).toMatchObject({ kind: 'CANCELLATION', reason: 'changed my mind' });

    const cancelled = await settledOrder(h, user, order.id, (o) => o.status === 'CANCELLED');
    expect(cancelled).toMatchObject({
      statusReason: 'changed my mind',
      saga: { state: 'SUCCEEDED' },
      cancellation: { state: 'SUCCEEDED' },
    });
    expect(cancelled.cancellation!.steps.map((s) => [s.name, s.status])).toEqual([
      ['REFUND_PAYMENT', 'SUCCEEDED'],
      ['RELEASE_STOCK', 'SUCCEEDED'],
    ]);
    // The charge and the hold belong to the checkout saga: both undone under its id.
    expect(h.standIns.payments.charges.get(order.id)?.outcome).toBe('REFUNDED');
    expect(h.standIns.inventory.holds.get(order.id)?.status).toBe('RETURNED');
    expect(h.standIns.inventory.levelOf(product).onHand).toBe(onHandBefore + 2);
    const events = await h.db.outboxEvent.findMany({ where: { type: 'order.cancelled' } });
    expect(events.map((e) => e.payload)).toContainEqual(
      expect.objectContaining({
        orderId: order.id,
        userId: user,
        reason: 'changed my mind',
        items: [{ productId: product, quantity: 2 }],
      }),
    );

    // Again: a no-op that returns the order as it is.
    const again = orderOf((await h.gql(user, CANCEL, { id: order.id })).body, 'cancelOrder');
    expect(again.status).toBe('CANCELLED');
    expect(h.standIns.payments.refunds.filter((id) => id === order.id)).toHaveLength(1);
  });

  it('runs one cancellation however many times it is asked at once', async () => {
    const user = randomUUID();
    const order = await confirmedOrder(user, 'cancel-race', 41);
    const answers = await Promise.all(Array.from({ length: 5 }, () => h.gql(user, CANCEL, { id: order.id })));
    for (const a of answers) expect(a.body.errors).toBeUndefined();
    await settledOrder(h, user, order.id, (o) => o.status === 'CANCELLED');
    expect(
      await h.db.orderEvent.count({ where: { streamId: cancellationIdOf(order.id), type: 'CancellationRequested' } }),
    ).toBe(1);
    expect(h.standIns.payments.refunds.filter((id) => id === order.id)).toHaveLength(1);
  });

  it("leaves FAILED orders as they are and refuses PENDING, imported, unknown and others' orders", async () => {
    const user = randomUUID();
    await fillCart(h, user, [{ productId: products[42]!.id, quantity: 1 }]);
    const failed = orderOf((await checkout(h, user, 'declined', CARDS.declined)).body);
    await settledOrder(h, user, failed.id);
    const noOp = await h.gql(user, CANCEL, { id: failed.id });
    expect(orderOf(noOp.body, 'cancelOrder').status).toBe('FAILED');

    let release!: () => void;
    h.standIns.inventory.fault('reserveStock', { until: new Promise<void>((resolve) => (release = resolve)) });
    await fillCart(h, user, [{ productId: products[43]!.id, quantity: 1 }]);
    const pending = orderOf((await checkout(h, user, 'pending', CARDS.visa)).body);
    const refused = await h.gql(user, CANCEL, { id: pending.id });
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argumentName: 'orderId',
      orderStatus: 'PENDING',
    });
    h.standIns.inventory.fault('reserveStock', null);
    release();
    await settledOrder(h, user, pending.id);

    const seeded = demoData(1).orders.find((o) => o.status === 'CONFIRMED')!;
    const imported = await h.gql(seeded.userId, CANCEL, { id: seeded.id });
    expect(imported.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: 'orderId' });

    const stranger = await h.gql(randomUUID(), CANCEL, { id: pending.id });
    expect(stranger.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await h.gql(null, CANCEL, { id: pending.id });
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const unknown = await h.gql(user, CANCEL, { id: randomUUID() });
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const tooLong = await h.gql(user, CANCEL, { id: pending.id, reason: 'x'.repeat(501) });
    expect(tooLong.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: 'reason' });
  });
});
