// A slow card processor must not lose a capture. Against real payments instances on one Postgres
// database, the real inventory and products, and a real orders process: the processor slower than
// payments' transaction timeout still charges once; two calls of one saga in flight together capture
// once; a capture whose recording fails (PAYMENTS_FAULT_AT=record-capture) is reported by reconcile,
// refunded by the saga's recovery after a crash (or by reconcile --repair), and refunded only once
// however often recovery runs.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/observability/index.ts';
import type { ServicePrisma, StartedSubgraph } from '../lib/subgraph/index.ts';
import { ordersConfigFromEnv } from '../subgraphs/orders/src/config.ts';
import { createRepairProviders, type ReconcileReport } from '../subgraphs/orders/src/reconcile/index.ts';
import { paymentsService } from '../subgraphs/payments/src/service.ts';
import { gatewaySigned, postToSubgraph, TEST_SIGNING_SECRET } from './support/auth.ts';
import { CARDS, checkoutAt, CheckoutFixtures, waitUntil } from './support/checkoutFixtures.ts';
import { databaseEnv, uniquePrefix } from './support/databases.ts';
import { freePorts } from './support/ports.ts';
import { reconcileSagas, SagaLedger } from './support/sagaLedger.ts';
import { ServerProcess } from './support/serverProcess.ts';
import { startSubgraphs, type SubgraphFleet } from './support/subgraphs.ts';

const prefix = uniquePrefix('payrecovery');
const logger = silentLogger();
/** Payments' transactions may last this long; the slow processor takes three times as long to answer. */
const TRANSACTION_TIMEOUT_MS = 1_000;
const SLOW_PROCESSOR_MS = 2_500;
/** Long enough for the stock step on a loaded machine: the charges, all failing to record, fill the rest. */
const DEADLINE_MS = 10_000;

let fleet: SubgraphFleet;
let fixtures: CheckoutFixtures;
let ledger: SagaLedger;
let env: NodeJS.ProcessEnv;
/** Payments whose processor answers after SLOW_PROCESSOR_MS. */
let slow: StartedSubgraph<ServicePrisma>;
/** Payments that fails to record every capture its processor makes. */
let faulty: StartedSubgraph<ServicePrisma>;
let providers: ReturnType<typeof createRepairProviders>;
const recovered: string[] = [];

beforeAll(async () => {
  fleet = await startSubgraphs(prefix, { seedScale: 0 });
  env = { ...databaseEnv(prefix), GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET };
  const payments = (extra: NodeJS.ProcessEnv) =>
    paymentsService.start({
      env: { ...env, PAYMENTS_TRANSACTION_TIMEOUT_MS: String(TRANSACTION_TIMEOUT_MS), ...extra },
      port: 0,
      logger,
    });
  slow = await payments({ PAYMENTS_PROCESSOR_LATENCY_MS: String(SLOW_PROCESSOR_MS) });
  faulty = await payments({ PAYMENTS_FAULT_AT: 'record-capture', PAYMENTS_PROCESSOR_TIMEOUT_MS: '500' });
  fixtures = await CheckoutFixtures.open(prefix);
  ledger = new SagaLedger(prefix);
  // reconcile --repair's refund asks the processor and refunds: room for it on a busy machine.
  providers = createRepairProviders(
    ordersConfigFromEnv({
      ...env,
      PAYMENTS_URL: faulty.url,
      PAYMENTS_POLICY: JSON.stringify({ timeoutMs: 20_000, budgetMs: 40_000 }),
    }),
    logger,
  );
}, 120_000);

afterAll(async () => {
  await providers?.close();
  await Promise.all([slow?.close(), faulty?.close()]);
  await ledger?.close();
  await fixtures?.close();
  await fleet?.close();
});

function charge(via: StartedSubgraph<ServicePrisma>, sagaId: string, userId = randomUUID()) {
  return postToSubgraph(
    via.url,
    'mutation($input: ChargeInput!) { chargePayment(input: $input) { sagaId outcome payment { id status } } }',
    { input: { sagaId, orderId: sagaId, amountCents: 4_200, currency: 'USD', card: CARDS.visa } },
    gatewaySigned({ userId, client: 'service' }),
  );
}

function refund(sagaId: string) {
  return postToSubgraph(
    faulty.url,
    'mutation($sagaId: ID!) { refundPayment(sagaId: $sagaId, reason: "recovery") { outcome payment { status } } }',
    { sagaId },
    gatewaySigned({ userId: null, client: 'service' }),
  );
}

/** What payments recorded and what the processor's books hold for one saga. */
async function money(sagaId: string) {
  const payments = await ledger.query<{ status: string }>(
    'payments',
    'SELECT status::text FROM "Payment" WHERE "sagaId" = $1',
    [sagaId],
  );
  const entries = await ledger.query<{ kind: string; amountCents: number }>(
    'payments',
    'SELECT kind::text, "amountCents" FROM "ProcessorEntry" WHERE "idempotencyKey" = $1 ORDER BY kind',
    [sagaId],
  );
  const [events] = await ledger.query<{ n: number }>(
    'payments',
    `SELECT count(*)::int AS n FROM "OutboxEvent" WHERE type = 'payment.refunded' AND payload->>'orderId' = $1`,
    [sagaId],
  );
  return {
    payments: payments.map((p) => p.status),
    processor: entries.map((e) => `${e.kind} ${e.amountCents}`),
    refundEvents: events!.n,
  };
}

async function check(repair: boolean, deadlineMs: number): Promise<ReconcileReport> {
  const { orders, inventory, payments } = fleet.servers;
  return reconcileSagas(
    { orders: orders.prisma, inventory: inventory.prisma, payments: payments.prisma },
    { deadlineMs: deadlineMs, repair, providers },
  );
}

const about = (report: ReconcileReport, sagaId: string) =>
  report.findings
    .filter((f) => f.subject.startsWith(`saga ${sagaId}`))
    .map((f) => [f.kind, f.repair?.action ?? null, f.outcome?.detail ?? null]);

describe('a processor slower than the transaction timeout', () => {
  it(`still charges (processor ${SLOW_PROCESSOR_MS} ms, transactions ${TRANSACTION_TIMEOUT_MS} ms): recorded exactly once`, async () => {
    const sagaId = randomUUID();
    const answer = await charge(slow, sagaId);
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data).toMatchObject({ chargePayment: { outcome: 'CAPTURED', payment: { status: 'CAPTURED' } } });
    expect(await money(sagaId)).toEqual({ payments: ['CAPTURED'], processor: ['CAPTURE 4200'], refundEvents: 0 });
  });

  it('answers a retry sent while the first call is in flight with the same capture, taking no second one', async () => {
    const sagaId = randomUUID();
    const first = charge(slow, sagaId);
    await waitUntil(
      async () =>
        (
          await ledger.query('payments', `SELECT 1 FROM "SagaCharge" WHERE "sagaId" = $1 AND "callState" = 'PENDING'`, [
            sagaId,
          ])
        ).length > 0,
      'the first call to record its intent',
    );
    // The retry reaches another instance, whose processor answers at once: it waits for the call in flight.
    const [a, b] = await Promise.all([first, charge(fleet.servers.payments, sagaId)]);
    expect([a.body.errors, b.body.errors]).toEqual([undefined, undefined]);
    expect(b.body.data).toEqual(a.body.data);
    expect(await money(sagaId)).toEqual({ payments: ['CAPTURED'], processor: ['CAPTURE 4200'], refundEvents: 0 });
    const [row] = await ledger.query<{ attempts: number }>(
      'payments',
      'SELECT attempts FROM "SagaCharge" WHERE "sagaId" = $1',
      [sagaId],
    );
    expect(row!.attempts).toBe(1);
  });
});

describe('a capture whose recording failed', () => {
  it('is reported by reconcile, refunded by the saga recovery after a crash, and refunded once however often recovery runs', async () => {
    const [port] = await freePorts(1);
    let killAt: string | null = 'before:REFUND_PAYMENT';
    const orders = new ServerProcess('orders process', 'subgraphs/orders/src/index.ts', port!, () => ({
      ...env,
      ORDERS_PORT: String(port),
      HOST: '127.0.0.1',
      SEED_ON_START: 'false',
      LOG_LEVEL: 'error',
      INVENTORY_URL: fleet.urls.inventory,
      PAYMENTS_URL: faulty.url,
      PRODUCTS_URL: fleet.urls.products,
      CHECKOUT_SAGA_DEADLINE_MS: String(DEADLINE_MS),
      CHECKOUT_LEASE_MS: '1000',
      CHECKOUT_RECOVERY_INTERVAL_MS: '200',
      CHECKOUT_RETRY_BASE_MS: '20',
      CHECKOUT_RETRY_MAX_MS: '200',
      ...(killAt ? { ORDERS_FAULT_KILL_AT: killAt } : {}),
    }));
    try {
      const buyer = await fixtures.createUser();
      const product = await fixtures.createProduct(10, 2_100);
      await fixtures.fillCarts([buyer], product, 2);
      await orders.start(60_000);
      // Every charge captures and fails to record it, so the saga runs out of time and compensates:
      // the orders process dies as its refund starts.
      await checkoutAt(orders.url, buyer).catch(() => undefined);
      await waitUntil(
        () => !orders.running,
        'orders to die as the refund starts',
        60_000,
        async () =>
          JSON.stringify(
            await ledger.query(
              'orders',
              `SELECT type, data->>'step' AS step, data->>'error' AS error FROM "OrderEvent" e JOIN "Order" o ON o.id = e."streamId" WHERE o."userId" = $1 ORDER BY version`,
              [buyer],
            ),
          ),
      );
      const [order] = await ledger.query<{ id: string }>('orders', 'SELECT id FROM "Order" WHERE "userId" = $1', [
        buyer,
      ]);
      const sagaId = order!.id;
      expect(await money(sagaId)).toEqual({ payments: [], processor: ['CAPTURE 4200'], refundEvents: 0 });

      // Before recovery: the capture only the processor knows is reported, left to the recovery worker.
      expect(about(await check(false, DEADLINE_MS), sagaId)).toEqual([
        ['saga_overdue', null, null],
        ['unrecorded_capture', null, null],
      ]);

      killAt = null;
      await orders.start(60_000);
      await waitUntil(async () => (await ledger.openSagas()) === 0, 'the saga to be compensated', 60_000);
      const [settled] = await ledger.orders([sagaId]);
      expect(settled!.status).toBe('FAILED');
      expect(await money(sagaId)).toEqual({
        payments: ['REFUNDED'],
        processor: ['CAPTURE 4200', 'REFUND 4200'],
        refundEvents: 1,
      });
      expect(about(await check(false, DEADLINE_MS), sagaId)).toEqual([]);
      recovered.push(sagaId);

      // Recovery running again (two workers, a repair) finds the refund done: no second refund.
      const again = await Promise.all([refund(sagaId), refund(sagaId)]);
      expect(again.map((r) => r.body.data)).toEqual([
        { refundPayment: { outcome: 'REFUNDED', payment: { status: 'REFUNDED' } } },
        { refundPayment: { outcome: 'REFUNDED', payment: { status: 'REFUNDED' } } },
      ]);
      expect(await money(sagaId)).toEqual({
        payments: ['REFUNDED'],
        processor: ['CAPTURE 4200', 'REFUND 4200'],
        refundEvents: 1,
      });
    } finally {
      await orders.kill('SIGKILL');
    }
  }, 180_000);

  it('of a saga orders does not know is reported with a refund, repaired by reconcile --repair, and clean on the next run', async () => {
    const sagaId = randomUUID();
    const failed = await charge(faulty, sagaId);
    expect(failed.body.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(await money(sagaId)).toEqual({ payments: [], processor: ['CAPTURE 4200'], refundEvents: 0 });

    expect(about(await check(false, 0), sagaId)).toEqual([['unrecorded_capture', 'refundPayment', null]]);
    expect(about(await check(true, 0), sagaId)).toEqual([
      ['unrecorded_capture', 'refundPayment', 'refundPayment -> REFUNDED'],
    ]);
    expect(about(await check(true, 0), sagaId)).toEqual([]);
    expect(await money(sagaId)).toEqual({
      payments: ['REFUNDED'],
      processor: ['CAPTURE 4200', 'REFUND 4200'],
      refundEvents: 1,
    });
    recovered.push(sagaId);
    // A late charge of the refunded saga takes nothing more.
    expect((await charge(faulty, sagaId)).body.data).toMatchObject({ chargePayment: { outcome: 'REFUNDED' } });
    console.log(`captures recovered: ${recovered.length}`);
  });
});
