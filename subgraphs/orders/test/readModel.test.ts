// The read model is a projection of the event log: wiped and rebuilt (by the function and by the
// operator's command), it comes back row for row, seeded history and live sagas alike.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT_DIR } from '../../../lib/composition.ts';
import { demoData, DEMO_CANCELLABLE_ORDER_ID } from '../../../lib/seed/index.ts';
import { rebuildReadModel } from '../src/readModel/rebuild.ts';
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

beforeAll(async () => {
  h = await startOrdersHarness('readmodel');
  // Live orders of every kind next to the seeded history: confirmed, failed, cancelled.
  const user = randomUUID();
  for (const [key, card, index] of [
    ['ok', CARDS.visa, 70],
    ['declined', CARDS.declined, 71],
    ['to-cancel', CARDS.visa, 72],
  ] as const) {
    await fillCart(h, user, [{ productId: products[index]!.id, quantity: 2 }]);
    const placed = orderOf((await checkout(h, user, key, card)).body);
    await settledOrder(h, user, placed.id);
    if (key === 'to-cancel') {
      await h.gql(user, `mutation($id: ID!) { cancelOrder(orderId: $id) { ${ORDER_FIELDS} } }`, { id: placed.id });
      await settledOrder(h, user, placed.id, (o) => o.status === 'CANCELLED');
    }
  }
});
afterAll(() => h?.close());

async function readModelRows() {
  const [orders, items, sagas, steps] = await Promise.all([
    h.db.order.findMany({ orderBy: { id: 'asc' } }),
    h.db.orderItem.findMany({ orderBy: { id: 'asc' } }),
    h.db.saga.findMany({ orderBy: { id: 'asc' } }),
    h.db.sagaStep.findMany({ orderBy: [{ sagaId: 'asc' }, { name: 'asc' }] }),
  ]);
  return { orders, items, sagas, steps };
}

async function wipe() {
  await h.db.$executeRawUnsafe('TRUNCATE "SagaStep", "Saga", "OrderItem", "Order"');
  expect(await h.db.order.count()).toBe(0);
}

describe('read model', () => {
  it('holds the seeded history exactly as the demo data says', async () => {
    const seeded = demoData(1).orders;
    const rows = await h.db.order.findMany({ where: { id: { in: seeded.map((o) => o.id) } } });
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const order of seeded)
      expect(byId.get(order.id)).toMatchObject({
        status: order.status,
        totalCents: order.totalCents,
        createdAt: order.createdAt,
        userId: order.userId,
      });
  });

  it('is rebuilt from the log row for row', async () => {
    const before = await readModelRows();
    // The live checkouts' three and cancellation's one, and the seeded order placed through checkout's.
    expect(before.sagas.map((s) => s.state).sort()).toEqual([
      'COMPENSATED',
      'SUCCEEDED',
      'SUCCEEDED',
      'SUCCEEDED',
      'SUCCEEDED',
    ]);
    expect(before.sagas.find((s) => s.id === DEMO_CANCELLABLE_ORDER_ID)).toMatchObject({ kind: 'CHECKOUT' });
    await wipe();
    const report = await rebuildReadModel(h.db);
    expect(report).toMatchObject({
      orders: before.orders.length,
      orderItems: before.items.length,
      sagas: before.sagas.length,
      sagaSteps: before.steps.length,
    });
    expect(await readModelRows()).toEqual(before);
  });

  it('is rebuilt by `npm run orders:rebuild-read-model`', async () => {
    const before = await readModelRows();
    await wipe();
    const { stdout } = await promisify(execFile)('npm', ['run', '-s', 'orders:rebuild-read-model'], {
      cwd: ROOT_DIR,
      env: { ...process.env, DATABASE_URL: h.env.DATABASE_URL, DATABASE_PREFIX: h.env.DATABASE_PREFIX },
    });
    expect(stdout).toMatch(/rebuilt the read model from \d+ streams/);
    expect(await readModelRows()).toEqual(before);
  });
});
