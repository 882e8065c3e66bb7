// Crash proofs of the checkout saga against the real inventory, payments and products subgraphs: a
// real orders process SIGKILLs itself (ORDERS_FAULT_KILL_AT) at exactly one boundary of the saga,
// is restarted without the knob, and its recovery worker drives every saga to a terminal state.
// After each crash the three databases reconcile: no double charge, no leaked reservation, money
// captured net of refunds equals confirmed totals, units committed equal units confirmed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SagaBoundary } from '../subgraphs/orders/src/config.ts';
import { TEST_SIGNING_SECRET } from './support/auth.ts';
import { CARDS, checkoutAt, CheckoutFixtures, waitUntil } from './support/checkoutFixtures.ts';
import { databaseEnv, uniquePrefix } from './support/databases.ts';
import { freePorts } from './support/ports.ts';
import { SagaLedger } from './support/sagaLedger.ts';
import { ServerProcess } from './support/serverProcess.ts';
import { startSubgraphs, type SubgraphFleet } from './support/subgraphs.ts';

const prefix = uniquePrefix('crash');
const STOCK = 50;
const PRICE = 2_500;

let fleet: SubgraphFleet;
let fixtures: CheckoutFixtures;
let ledger: SagaLedger;
let orders: ServerProcess;
let product: string;
/** The boundary the next start of the orders process dies at (null: the knob off). */
let killAt: SagaBoundary | null = null;
const placed: string[] = [];

beforeAll(async () => {
  // The in-process fleet migrates every database; its own orders instance runs no workers and gets
  // no traffic: the process below is the orders under test.
  fleet = await startSubgraphs(prefix);
  fixtures = await CheckoutFixtures.open(prefix);
  ledger = new SagaLedger(prefix);
  product = await fixtures.createProduct(STOCK, PRICE);
  const [port] = await freePorts(1);
  orders = new ServerProcess('orders process', 'subgraphs/orders/src/index.ts', port!, () => ({
    ...databaseEnv(prefix),
    ORDERS_PORT: String(port),
    HOST: '127.0.0.1',
    GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET,
    SEED_ON_START: 'false',
    LOG_LEVEL: 'error',
    INVENTORY_URL: fleet.urls.inventory,
    PAYMENTS_URL: fleet.urls.payments,
    PRODUCTS_URL: fleet.urls.products,
    // A crashed runner's lease runs out quickly and the recovery worker looks often.
    CHECKOUT_LEASE_MS: '1000',
    CHECKOUT_RECOVERY_INTERVAL_MS: '200',
    CHECKOUT_RETRY_BASE_MS: '20',
    CHECKOUT_RETRY_MAX_MS: '200',
    ...(killAt ? { ORDERS_FAULT_KILL_AT: killAt } : {}),
  }));
}, 120_000);

afterAll(async () => {
  await orders?.kill('SIGKILL');
  await ledger?.close();
  await fixtures?.close();
  await fleet?.close();
});

/** The saga's log as `TYPE[:STEP]` entries, oldest first. */
async function logOf(orderId: string): Promise<string[]> {
  const rows = await ledger.query<{ type: string; data: { step?: string } }>(
    'orders',
    'SELECT type, data FROM "OrderEvent" WHERE "streamId" = $1 ORDER BY version',
    [orderId],
  );
  return rows.map((r) => (r.data.step ? `${r.type}:${r.data.step}` : r.type));
}

async function holdOf(orderId: string): Promise<string | null> {
  const [row] = await ledger.query<{ status: string }>(
    'inventory',
    'SELECT status::text FROM "StockHold" WHERE "sagaId" = $1',
    [orderId],
  );
  return row?.status ?? null;
}

async function paymentOf(orderId: string): Promise<string | null> {
  const [row] = await ledger.query<{ status: string }>(
    'payments',
    'SELECT status::text FROM "Payment" WHERE "orderId" = $1',
    [orderId],
  );
  return row?.status ?? null;
}

interface Case {
  boundary: SagaBoundary;
  card: (typeof CARDS)[keyof typeof CARDS];
  /** The last event the log holds when the process died, and what the providers held then. */
  atDeath: { lastEvent: string; hold: string | null; payment: string | null };
  final: { status: string; hold: string | null; payment: string | null };
}

const CASES: Case[] = [
  {
    boundary: 'before:RESERVE_STOCK',
    card: CARDS.visa,
    atDeath: { lastEvent: 'SagaStepStarted:RESERVE_STOCK', hold: null, payment: null },
    final: { status: 'FAILED', hold: 'RELEASED', payment: null },
  },
  {
    boundary: 'after:RESERVE_STOCK',
    card: CARDS.visa,
    atDeath: { lastEvent: 'SagaStepStarted:RESERVE_STOCK', hold: 'HELD', payment: null },
    final: { status: 'FAILED', hold: 'RELEASED', payment: null },
  },
  {
    boundary: 'after:CHARGE_PAYMENT',
    card: CARDS.visa,
    atDeath: { lastEvent: 'SagaStepStarted:CHARGE_PAYMENT', hold: 'HELD', payment: 'CAPTURED' },
    final: { status: 'FAILED', hold: 'RELEASED', payment: 'REFUNDED' },
  },
  {
    boundary: 'before:COMMIT_STOCK',
    card: CARDS.visa,
    atDeath: { lastEvent: 'SagaStepStarted:COMMIT_STOCK', hold: 'HELD', payment: 'CAPTURED' },
    final: { status: 'CONFIRMED', hold: 'COMMITTED', payment: 'CAPTURED' },
  },
  {
    boundary: 'after:RELEASE_STOCK',
    card: CARDS.declined,
    atDeath: { lastEvent: 'SagaStepStarted:RELEASE_STOCK', hold: 'RELEASED', payment: 'DECLINED' },
    final: { status: 'FAILED', hold: 'RELEASED', payment: 'DECLINED' },
  },
];

describe('orders SIGKILLed at each boundary of the checkout saga', () => {
  it.each(CASES)(
    'recovers from a kill at $boundary',
    async ({ boundary, card, atDeath, final }) => {
      killAt = boundary;
      await orders.start(60_000);
      const buyer = await fixtures.createUser();
      await fixtures.fillCarts([buyer], product, 2);
      // The process may die before it answers (the first boundary comes before the response).
      await checkoutAt(orders.url, buyer, card).catch(() => undefined);
      await waitUntil(() => !orders.running, `orders to die at ${boundary}`, 30_000);
      const killedAt = Date.now();
      const [order] = await ledger.query<{ id: string }>('orders', 'SELECT id FROM "Order" WHERE "userId" = $1', [
        buyer,
      ]);
      expect(order).toBeDefined();
      const id = order!.id;
      placed.push(id);

      // It died exactly there: the log stops at the step's start, the providers hold what they did.
      expect((await logOf(id)).at(-1)).toBe(atDeath.lastEvent);
      expect(await holdOf(id)).toBe(atDeath.hold);
      expect(await paymentOf(id)).toBe(atDeath.payment);

      killAt = null;
      await orders.start(60_000);
      const upAt = Date.now();
      await waitUntil(
        async () => (await ledger.openSagas()) === 0,
        'every saga to be terminal',
        60_000,
        async () => (await logOf(id)).join(', '),
      );
      console.log(
        `kill at ${boundary} -> all sagas terminal: ${Date.now() - killedAt} ms (restart ${upAt - killedAt} ms, then recovery ${Date.now() - upAt} ms)`,
      );

      const [row] = await ledger.orders([id]);
      expect(row!.status).toBe(final.status);
      expect(await holdOf(id)).toBe(final.hold);
      expect(await paymentOf(id)).toBe(final.payment);

      // Across every order so far, the three databases reconcile.
      const r = await ledger.reconcile(placed);
      expect(r.nonTerminal).toEqual([]);
      expect(r.maxChargesPerOrder).toBeLessThanOrEqual(1);
      expect([...r.captured].sort()).toEqual([...r.confirmedIds].sort());
      expect(r.heldFor).toEqual([]);
      expect(r.chargedCents - r.refundedCents).toBe(r.confirmedCents);
      expect(r.committedUnits).toBe(r.confirmedUnits);
      expect(await ledger.stock(product)).toEqual({ onHand: STOCK - r.confirmedUnits, reserved: 0 });
      // And the operators' checker, over every order and hold of the three databases, finds no drift.
      expect((await ledger.drift(30_000)).findings).toEqual([]);
      await orders.kill('SIGKILL');
    },
    180_000,
  );

  it('has crashed at every boundary and confirmed only what was paid for', async () => {
    const r = await ledger.reconcile(placed);
    expect(placed).toHaveLength(CASES.length);
    expect(r.byStatus).toEqual({ CONFIRMED: 1, FAILED: CASES.length - 1 });
    expect(r.confirmedCents).toBe(2 * PRICE);
    expect(r.paymentsByStatus).toEqual({ CAPTURED: 1, REFUNDED: 1, DECLINED: 1 });
  });
});
