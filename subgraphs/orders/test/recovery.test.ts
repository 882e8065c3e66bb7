// Crash recovery: an orders process killed (SIGKILL) mid-saga leaves a saga that a new orders
// instance on the same database drives to a terminal state, charging nothing twice and leaking no
// reservation; two recovery workers never drive one saga at once (the lease).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../lib/observability/index.ts';
import { freePorts } from '../../../test/support/ports.ts';
import { ServerProcess } from '../../../test/support/serverProcess.ts';
import { TX_OPTIONS } from '../src/db.ts';
import { appendToStream } from '../src/eventStore/eventStore.ts';
import { orderEvent } from '../src/eventStore/events.ts';
import { emptyStream, fold } from '../src/readModel/fold.ts';
import { projectChange } from '../src/readModel/project.ts';
import { createOrdersRuntime } from '../src/runtime.ts';
import {
  CARDS,
  catalogue,
  checkout,
  describeStream,
  eventually,
  fillCart,
  orderOf,
  settledOrder,
  startOrdersHarness,
  type OrdersHarness,
} from './support/harness.ts';

let h: OrdersHarness;
const products = catalogue();

beforeAll(async () => {
  h = await startOrdersHarness('recovery');
});
afterAll(() => h?.close());

/** A real orders process on the harness's database, to be killed. */
async function ordersProcess(): Promise<ServerProcess> {
  const [port] = await freePorts(1);
  const proc = new ServerProcess('orders process', 'subgraphs/orders/src/index.ts', port!, () => ({
    ...h.env,
    ORDERS_PORT: String(port),
    HOST: '127.0.0.1',
    SEED_ON_START: 'false',
    LOG_LEVEL: 'warn',
  }));
  await proc.start(60_000);
  return proc;
}

function never(): { promise: Promise<void>; release(): void } {
  let release!: () => void;
  return { promise: new Promise<void>((resolve) => (release = resolve)), release };
}

describe('recovery after a crash', () => {
  it('compensates a saga killed while charging: refunded (voided), stock released, a late charge takes nothing', async () => {
    const proc = await ordersProcess();
    const hang = never();
    try {
      const user = randomUUID();
      const product = products[50]!.id;
      await fillCart(h, user, [{ productId: product, quantity: 4 }]);
      h.standIns.payments.fault('chargePayment', { until: hang.promise });
      const placed = orderOf((await checkout(h, user, 'crash-charging', CARDS.visa, proc.url)).body);
      await eventually(
        () => (h.standIns.payments.callsOf('chargePayment', placed.id).length > 0 ? true : undefined),
        'the charge to be sent',
        {
          explain: () => describeStream(h, placed.id),
        },
      );
      await proc.kill('SIGKILL');
      const killedAt = Date.now();
      h.standIns.payments.fault('chargePayment', null);

      const replacement = await h.startOrders({ workers: true });
      const order = await settledOrder(h, user, placed.id);
      console.log(`kill -> saga terminal (compensated): ${Date.now() - killedAt} ms`);
      expect(order.status).toBe('FAILED');
      expect(order.statusReason).toMatch(/interrupted before the payment/);
      expect(order.saga!.steps.map((s) => [s.name, s.status])).toEqual([
        ['RESERVE_STOCK', 'SUCCEEDED'],
        ['CHARGE_PAYMENT', 'FAILED'],
        ['REFUND_PAYMENT', 'SUCCEEDED'],
        ['RELEASE_STOCK', 'SUCCEEDED'],
      ]);
      expect(h.standIns.inventory.holds.get(placed.id)?.status).toBe('RELEASED');
      expect(h.standIns.inventory.levelOf(product).reserved).toBe(0);

      // The killed process's charge, still in flight at payments, lands now: the void makes it a no-op.
      hang.release();
      await eventually(
        () => (h.standIns.payments.callsOf('chargePayment', placed.id).every((c) => c.answered) ? true : undefined),
        'the late charges to be answered',
      );
      expect(h.standIns.payments.captures).not.toContain(placed.id);
      expect(h.standIns.payments.charges.get(placed.id)?.outcome).toBe('VOIDED');
      await replacement.close();
    } finally {
      hang.release();
      await proc.kill('SIGKILL');
    }
  });

  it('finishes a saga killed after the charge: confirmed, stock committed, charged once', async () => {
    const proc = await ordersProcess();
    const hang = never();
    try {
      const user = randomUUID();
      const product = products[51]!.id;
      await fillCart(h, user, [{ productId: product, quantity: 1 }]);
      h.standIns.inventory.fault('commitStock', { until: hang.promise });
      const placed = orderOf((await checkout(h, user, 'crash-confirming', CARDS.visa, proc.url)).body);
      await eventually(
        () => (h.standIns.inventory.callsOf('commitStock', placed.id).length > 0 ? true : undefined),
        'the commit to be sent',
        {
          explain: () => describeStream(h, placed.id),
        },
      );
      await proc.kill('SIGKILL');
      const killedAt = Date.now();
      h.standIns.inventory.fault('commitStock', null);

      const replacement = await h.startOrders({ workers: true });
      const order = await settledOrder(h, user, placed.id);
      console.log(`kill -> saga terminal (confirmed): ${Date.now() - killedAt} ms`);
      expect(order).toMatchObject({ status: 'CONFIRMED', saga: { state: 'SUCCEEDED' } });
      expect(order.saga!.steps.find((s) => s.name === 'COMMIT_STOCK')).toMatchObject({
        status: 'SUCCEEDED',
        attempts: 2,
      });
      expect(h.standIns.inventory.holds.get(placed.id)?.status).toBe('COMMITTED');
      expect(h.standIns.payments.captures.filter((id) => id === placed.id)).toHaveLength(1);
      expect(h.standIns.payments.refunds).not.toContain(placed.id);
      // order.confirmed was written once, with the confirmation, before the crash; the new
      // instance's relay publishes what the killed one could not.
      const outbox = () =>
        h.db.outboxEvent.findMany({
          where: { type: 'order.confirmed', payload: { path: ['orderId'], equals: placed.id } },
        });
      expect(await outbox()).toHaveLength(1);
      await eventually(
        async () => ((await outbox())[0]?.publishedAt ? true : undefined),
        'order.confirmed to be relayed',
      );
      await replacement.close();
    } finally {
      hang.release();
      await proc.kill('SIGKILL');
    }
  });
});

describe('saga leases', () => {
  /**
   * Each release reaching inventory was an attempt its driver recorded first (a retry after a slow
   * answer is a second recorded attempt), and the saga turned back once: no second driver ran it.
   */
  async function expectDrivenOnce(sagaId: string): Promise<void> {
    const events = await h.db.orderEvent.findMany({ where: { streamId: sagaId }, orderBy: { version: 'asc' } });
    const attempts = events.filter(
      (e) => e.type === 'SagaStepStarted' && (e.data as { step: string }).step === 'RELEASE_STOCK',
    );
    expect(attempts.length).toBeGreaterThanOrEqual(1);
    expect(h.standIns.inventory.callsOf('releaseStock', sagaId)).toHaveLength(attempts.length);
    expect(events.filter((e) => e.type === 'SagaCompensationStarted')).toHaveLength(1);
  }

  /** Orders whose runner died right after placing them: their saga is in the log, with no lease. */
  async function orphanedSagas(count: number, deadline: Date): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const orderId = randomUUID();
      const product = products[60 + (i % 10)]!;
      await h.db.$transaction(async (tx) => {
        const stored = await appendToStream(tx, orderId, 0, [
          orderEvent('OrderPlaced', {
            orderId,
            userId: randomUUID(),
            currency: 'USD',
            totalCents: product.priceCents,
            items: [
              { id: randomUUID(), productId: product.id, quantity: 1, unitPriceCents: product.priceCents, position: 0 },
            ],
            checkout: { deadline: deadline.toISOString() },
          }),
          orderEvent('SagaStepStarted', { step: 'RESERVE_STOCK', attempt: 1 }),
        ]);
        await projectChange(tx, emptyStream(orderId), fold(orderId, stored));
      }, TX_OPTIONS);
      ids.push(orderId);
    }
    return ids;
  }

  it('lets two runners racing for the same sagas drive each exactly once', async () => {
    const past = await orphanedSagas(5, new Date(Date.now() - 1000));
    const future = await orphanedSagas(5, new Date(Date.now() + 3600_000));
    const sagas = [...past, ...future];
    // Slow answers widen the window in which a second driver would do harm.
    h.standIns.inventory.fault('releaseStock', { delayMs: 50 });
    const logger = silentLogger();
    const runtimes = [
      createOrdersRuntime({ prisma: h.db, logger, env: h.env }, 'runner-a'),
      createOrdersRuntime({ prisma: h.db, logger, env: h.env }, 'runner-b'),
    ];
    try {
      const results = await Promise.all(sagas.map((id) => Promise.all(runtimes.map((r) => r.runner.drive(id)))));
      // Each pair: one drove it, the other found it taken (or, arriving late, finished).
      for (const pair of results) expect(pair).toContain('terminal');
      expect(results.flat().filter((r) => r === 'busy').length).toBeGreaterThan(0);
      for (const id of sagas) await expectDrivenOnce(id);
      const rows = await h.db.saga.findMany({ where: { id: { in: sagas } } });
      expect(rows.map((s) => s.state)).toEqual(sagas.map(() => 'COMPENSATED'));
      for (const s of rows)
        expect(s.reason).toMatch(past.includes(s.id) ? /^checkout deadline passed/ : /interrupted before the payment/);
      expect(await h.db.sagaLease.count({ where: { sagaId: { in: sagas } } })).toBe(0);
    } finally {
      h.standIns.inventory.fault('releaseStock', null);
      for (const r of runtimes) await r.close();
    }
  });

  it("lets two replicas' recovery workers share the orphans, each saga driven once", async () => {
    const sagas = await orphanedSagas(20, new Date(Date.now() + 3600_000));
    h.standIns.inventory.fault('releaseStock', { delayMs: 20 });
    const replicas = await Promise.all([h.startOrders({ workers: true }), h.startOrders({ workers: true })]);
    try {
      await eventually(
        async () =>
          (await h.db.saga.count({ where: { id: { in: sagas }, state: 'COMPENSATED' } })) === sagas.length
            ? true
            : undefined,
        'the orphans to be compensated',
      );
      for (const id of sagas) await expectDrivenOnce(id);
    } finally {
      h.standIns.inventory.fault('releaseStock', null);
      for (const replica of replicas) await replica.close();
    }
  });

  it('never lets a worker take a saga whose runner holds a live lease', async () => {
    const [id] = await orphanedSagas(1, new Date(Date.now() + 3600_000));
    const logger = silentLogger();
    const holder = createOrdersRuntime({ prisma: h.db, logger, env: h.env }, 'holder');
    const thief = createOrdersRuntime({ prisma: h.db, logger, env: h.env }, 'thief');
    const hang = never();
    h.standIns.inventory.fault('releaseStock', { until: hang.promise });
    try {
      const held = holder.runner.drive(id!);
      await eventually(
        () => (h.standIns.inventory.callsOf('releaseStock', id).length > 0 ? true : undefined),
        'the holder to start',
      );
      expect(await thief.runner.drive(id!)).toBe('busy');
      h.standIns.inventory.fault('releaseStock', null);
      hang.release();
      expect(await held).toBe('terminal');
      await expectDrivenOnce(id!);
    } finally {
      hang.release();
      await holder.close();
      await thief.close();
    }
  });
});
