// Idempotency keys: one order and one charge for one (user, key, input), even from 10 concurrent
// calls; IDEMPOTENCY_KEY_REUSED for another input; forgotten after 24 hours and purged by the worker.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeExpiredIdempotencyKeys } from '../src/checkout/idempotency.ts';
import {
  CARDS,
  catalogue,
  checkout,
  fillCart,
  orderOf,
  settledOrder,
  startOrdersHarness,
  type OrdersHarness,
} from './support/harness.ts';

let h: OrdersHarness;
const products = catalogue();

beforeAll(async () => {
  h = await startOrdersHarness('idempotency');
});
afterAll(() => h?.close());

describe('idempotency keys', () => {
  it('gives 10 concurrent checkouts with one key one order and one charge', async () => {
    const user = randomUUID();
    await fillCart(h, user, [{ productId: products[30]!.id, quantity: 2 }]);
    const answers = await Promise.all(Array.from({ length: 10 }, () => checkout(h, user, 'ten-at-once', CARDS.visa)));
    const ids = new Set(answers.map((a) => orderOf(a.body).id));
    expect(ids.size).toBe(1);
    const [orderId] = [...ids];
    expect(await h.db.order.count({ where: { userId: user } })).toBe(1);
    const order = await settledOrder(h, user, orderId!);
    expect(order.status).toBe('CONFIRMED');
    expect(h.standIns.payments.callsOf('chargePayment', orderId)).toHaveLength(1);
    expect(h.standIns.payments.captures.filter((id) => id === orderId)).toHaveLength(1);
    expect(h.standIns.inventory.callsOf('reserveStock', orderId)).toHaveLength(1);

    // Later, the same key and input: the same order, now in its final state, and nothing runs again.
    const again = orderOf((await checkout(h, user, 'ten-at-once', CARDS.visa)).body);
    expect(again).toMatchObject({ id: orderId, status: 'CONFIRMED' });
    expect(h.standIns.payments.callsOf('chargePayment', orderId)).toHaveLength(1);
  });

  it('gives concurrent checkouts with one key the one order when it takes the last unit', async () => {
    // All but one wait at the stock gate for the first one's reservation, then find no units left:
    // their key's order is their answer, not OUT_OF_STOCK.
    const user = randomUUID();
    const product = products[36]!.id;
    h.standIns.inventory.stock.set(product, { onHand: 1, reserved: 0 });
    await fillCart(h, user, [{ productId: product, quantity: 1 }]);
    const answers = await Promise.all(Array.from({ length: 5 }, () => checkout(h, user, 'last-unit', CARDS.visa)));
    expect(answers.map((a) => a.body.errors?.[0]?.extensions?.code ?? null)).toEqual([null, null, null, null, null]);
    const ids = new Set(answers.map((a) => orderOf(a.body).id));
    expect(ids.size).toBe(1);
    expect(await h.db.order.count({ where: { userId: user } })).toBe(1);
    expect((await settledOrder(h, user, [...ids][0]!)).status).toBe('CONFIRMED');
  });

  it('refuses the same key with a different input, whatever the cart holds', async () => {
    const user = randomUUID();
    await fillCart(h, user, [{ productId: products[31]!.id, quantity: 1 }]);
    const first = orderOf((await checkout(h, user, 'reused', CARDS.visa)).body);
    await fillCart(h, user, [{ productId: products[32]!.id, quantity: 1 }]);
    const other = await checkout(h, user, 'reused', CARDS.mastercard);
    expect(other.body.errors?.[0]?.extensions).toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
      argumentName: 'idempotencyKey',
    });
    // The card number is normalized: spaces do not make it another input.
    const spaced = await checkout(h, user, 'reused', { ...CARDS.visa, number: '4242 4242 4242 4242' });
    expect(orderOf(spaced.body).id).toBe(first.id);
    // Keys are per user: another user's same key is theirs alone.
    const stranger = randomUUID();
    await fillCart(h, stranger, [{ productId: products[33]!.id, quantity: 1 }]);
    const theirs = orderOf((await checkout(h, stranger, 'reused', CARDS.mastercard)).body);
    expect(theirs.id).not.toBe(first.id);
    await settledOrder(h, user, first.id);
    await settledOrder(h, stranger, theirs.id);
  });

  it('forgets a key after 24 hours; the worker purges it', async () => {
    const user = randomUUID();
    await fillCart(h, user, [{ productId: products[34]!.id, quantity: 1 }]);
    const first = orderOf((await checkout(h, user, 'day-old', CARDS.visa)).body);
    await settledOrder(h, user, first.id);
    await h.db.idempotencyKey.update({
      where: { userId_key: { userId: user, key: 'day-old' } },
      data: { createdAt: new Date(Date.now() - 25 * 3600_000) },
    });

    await fillCart(h, user, [{ productId: products[35]!.id, quantity: 1 }]);
    // Expired: a different input is no longer a reuse, it is a new checkout.
    const second = orderOf((await checkout(h, user, 'day-old', CARDS.mastercard)).body);
    expect(second.id).not.toBe(first.id);
    await settledOrder(h, user, second.id);
    expect(
      await h.db.idempotencyKey.findUnique({ where: { userId_key: { userId: user, key: 'day-old' } } }),
    ).toMatchObject({ orderId: second.id });

    await h.db.idempotencyKey.update({
      where: { userId_key: { userId: user, key: 'day-old' } },
      data: { createdAt: new Date(Date.now() - 25 * 3600_000) },
    });
    expect(await purgeExpiredIdempotencyKeys(h.db)).toBeGreaterThanOrEqual(1);
    expect(await h.db.idempotencyKey.count({ where: { userId: user } })).toBe(0);
  });
});
