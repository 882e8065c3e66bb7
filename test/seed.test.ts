// `npm run db:seed`: the demo shop has the promised size, is the same on every run, scales with
// SEED_SCALE, and seeding again inserts nothing.
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/observability/index.ts';
import {
  demoData,
  DEMO_CANCELLABLE_ORDER_ID,
  DEMO_USER_ID,
  HEAVY_BUYER_ID,
  LIGHT_BUYER_ID,
} from '../lib/seed/index.ts';
import { SUBGRAPH_NAMES } from '../lib/services.ts';
import { SUBGRAPH_SERVICES } from '../subgraphs/index.ts';
import { databaseEnv, dropDatabasesWithPrefix, uniquePrefix } from './support/databases.ts';

const prefix = uniquePrefix('seed');
const env = databaseEnv(prefix);

afterAll(() => dropDatabasesWithPrefix(prefix));

async function seedAll(scale: number) {
  const reports: Record<string, Record<string, number>> = {};
  for (const name of SUBGRAPH_NAMES) {
    const prepared = await SUBGRAPH_SERVICES[name].prepare({ env, logger: silentLogger(), seedScale: scale });
    reports[name] = prepared.seedReport?.rows ?? {};
    await prepared.close();
  }
  return reports;
}

describe('demo data', () => {
  it('has the size the README promises, with fixed buyers tests rely on', () => {
    const data = demoData(1);
    expect(data.users).toHaveLength(50);
    expect(data.products).toHaveLength(200);
    expect(new Set(data.products.map((p) => p.categoryId)).size).toBe(8);
    // 500 orders of imported history, and the demo user's one placed through checkout.
    expect(data.orders).toHaveLength(501);
    expect(data.payments).toHaveLength(501);
    expect(data.reviews).toHaveLength(1000);
    const ordersOf = (id: string) => data.orders.filter((o) => o.userId === id).length;
    expect([ordersOf(DEMO_USER_ID), ordersOf(LIGHT_BUYER_ID), ordersOf(HEAVY_BUYER_ID)]).toEqual([13, 2, 60]);
    expect(new Set(data.reviews.map((r) => `${r.productId}:${r.authorId}`)).size).toBe(1000);
  });

  it("has one order placed through checkout: the demo user's, CONFIRMED, paid at catalogue prices", () => {
    for (const scale of [1, 0.1, 2]) {
      const data = demoData(scale);
      const placed = data.orders.filter((o) => o.checkout);
      expect(placed.map((o) => [o.id, o.userId, o.status])).toEqual([
        [DEMO_CANCELLABLE_ORDER_ID, DEMO_USER_ID, 'CONFIRMED'],
      ]);
      const order = placed[0]!;
      const steps = order.checkout!;
      // Each point of the saga after the one before, all within its deadline.
      const timeline = [
        order.createdAt,
        steps.reservedAt,
        steps.chargeStartedAt,
        steps.capturedAt,
        steps.chargedAt,
        steps.committedAt,
        steps.completedAt,
        steps.deadline,
      ];
      expect(timeline.map((d) => d.getTime())).toEqual([...timeline.map((d) => d.getTime())].sort((a, b) => a - b));
      expect(data.payments.filter((p) => p.orderId === order.id)).toEqual([
        expect.objectContaining({ status: 'CAPTURED', amountCents: order.totalCents, currency: order.currency }),
      ]);
      const products = new Map(data.products.map((p) => [p.id, p]));
      for (const item of order.items) expect(item.unitPriceCents).toBe(products.get(item.productId)?.priceCents);
      expect(order.totalCents).toBe(order.items.reduce((n, i) => n + i.quantity * i.unitPriceCents, 0));
      for (const item of order.items)
        expect(data.stock.find((s) => s.productId === item.productId)?.onHand).toBeGreaterThanOrEqual(0);
    }
    // The same order at every scale, and the rest of the world as it was without it.
    expect(demoData(2).orders.at(-1)?.id).toBe(DEMO_CANCELLABLE_ORDER_ID);
    expect(
      demoData(1)
        .orders.slice(0, 500)
        .every((o) => o.checkout === null),
    ).toBe(true);
  });

  it('is deterministic and scales', () => {
    expect(JSON.stringify(demoData(1))).toBe(JSON.stringify(demoData(1)));
    const doubled = demoData(2);
    expect(doubled.users).toHaveLength(100);
    expect(doubled.products).toHaveLength(400);
    expect(doubled.orders).toHaveLength(1001);
    // A larger scale extends the same world: the first rows keep their ids.
    expect(doubled.users[0]?.id).toBe(demoData(1).users[0]?.id);
  });

  it('seeds every service once; seeding again inserts nothing', async () => {
    const first = await seedAll(1);
    expect(first).toEqual({
      users: { users: 50 },
      products: expect.objectContaining({ categories: 8, products: 200 }) as unknown,
      // The order placed through checkout: its hold, its saga of three steps, its charge and capture.
      inventory: { stockItems: 200, stockHolds: 1 },
      orders: {
        orders: 501,
        orderItems: demoData(1).orders.reduce((n, o) => n + o.items.length, 0),
        sagas: 1,
        sagaSteps: 3,
      },
      payments: { payments: 501, sagaCharges: 1, processorEntries: 1 },
      // Purchases: the demo orders' (buyer, product) pairs, behind Review.verifiedPurchase.
      reviews: expect.objectContaining({ reviews: 1000, purchases: expect.any(Number) as unknown }) as unknown,
    });
    const second = await seedAll(1);
    for (const rows of Object.values(second)) for (const count of Object.values(rows)) expect(count).toBe(0);
    // Seeds six databases at scale 1 twice: on a machine busy with other test files that takes up to a minute.
  }, 150_000);
});
