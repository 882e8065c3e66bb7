// The reconciliation command against the real thing: the six subgraphs on their own Postgres
// databases, real checkouts through orders (its saga calling the real inventory and payments), then
// drift injected where it would come from (a provider's rows, a step called behind orders' back),
// found exactly, repaired through the services' own mutations, and gone on the next run.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT_DIR } from '../lib/composition.ts';
import { listDatabases, openServiceDatabase } from '../lib/db/index.ts';
import { silentLogger } from '../lib/observability/index.ts';
import { demoData, DEMO_CANCELLABLE_ORDER_ID } from '../lib/seed/index.ts';
import { ordersConfigFromEnv } from '../subgraphs/orders/src/config.ts';
import type { InventoryPrisma } from '../subgraphs/inventory/src/db.ts';
import type { OrdersPrisma } from '../subgraphs/orders/src/db.ts';
import { createPrisma as createPaymentsPrisma } from '../subgraphs/payments/src/db.ts';
import { createRepairProviders, type ReconcileReport } from '../subgraphs/orders/src/reconcile/index.ts';
import { gatewaySigned, postToSubgraph, TEST_SIGNING_SECRET } from './support/auth.ts';
import { databaseEnv, TEST_SERVER_URL, uniquePrefix } from './support/databases.ts';
import { reconcileSagas } from './support/sagaLedger.ts';
import { startSubgraphs, type SubgraphFleet } from './support/subgraphs.ts';

const SEED_SCALE = 0.1;
const prefix = uniquePrefix('reconcile');
let fleet: SubgraphFleet;
let env: NodeJS.ProcessEnv;
let providers: ReturnType<typeof createRepairProviders>;

const VISA = { number: '4242424242424242', expMonth: 12, expYear: 2035, cvc: '123' };
const DECLINED = { number: '4000000000000002', expMonth: 12, expYear: 2035, cvc: '123' };

/** Seeded products with units on hand, each used by one scenario only. */
const stocked = (() => {
  const data = demoData(SEED_SCALE);
  const onHand = new Map(data.stock.map((s) => [s.productId, s.onHand]));
  return data.products
    .filter((p) => (onHand.get(p.id) ?? 0) >= 5)
    .map((p) => ({ id: p.id, priceCents: p.priceCents, onHand: onHand.get(p.id) ?? 0 }));
})();
const [confirmedProduct, cancelledProduct, declinedProduct, shortProduct, counterProduct] = stocked;

async function asBuyer(userId: string, query: string, variables: Record<string, unknown>) {
  const { body } = await postToSubgraph(fleet.urls.orders, query, variables, gatewaySigned({ userId, client: 'web' }));
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data as Record<string, { id: string; status: string }>;
}

interface Placed {
  id: string;
  userId: string;
  totalCents: number;
}

/** A checkout placed through orders' own API, awaited until it and any cancellation are terminal. */
async function placeOrder(
  productId: string,
  quantity: number,
  card: typeof VISA,
  unitPriceCents: number,
  then?: 'cancel',
): Promise<Placed & { status: string }> {
  const userId = randomUUID();
  await asBuyer(userId, 'mutation($p: ID!, $q: Int!) { addToCart(productId: $p, quantity: $q) { __typename } }', {
    p: productId,
    q: quantity,
  });
  const placed = (
    await asBuyer(
      userId,
      'mutation($i: CheckoutInput!, $k: String!) { checkout(input: $i, idempotencyKey: $k) { id status } }',
      { i: { paymentMethod: card }, k: randomUUID() },
    )
  ).checkout!;
  let status = await settled(userId, placed.id);
  if (then === 'cancel') {
    await asBuyer(userId, 'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "changed my mind") { id status } }', {
      id: placed.id,
    });
    // The cancellation saga completes in its own stream before the order's records CANCELLED: wait for both.
    status = await settled(userId, placed.id, (order) => order.status === 'CANCELLED');
  }
  return { id: placed.id, userId, totalCents: quantity * unitPriceCents, status };
}

/**
 * A checkout the reservation refuses after the stock read allowed it (another buyer took the last
 * units in between; a cart already short is refused before any order is written): the stock row is
 * held locked from before the checkout is sent until its order is placed, then emptied. Whenever the
 * reservation reads the row (queued on the lock, or later on a retry or recovery), it reads it empty,
 * so the saga fails the order with the hold REJECTED whatever the machine's load.
 */
async function placeLateShortOrder(productId: string, unitPriceCents: number): Promise<Placed & { status: string }> {
  const userId = randomUUID();
  await asBuyer(userId, 'mutation($p: ID!) { addToCart(productId: $p, quantity: 1) { __typename } }', { p: productId });
  const inventory = fleet.servers.inventory.prisma as InventoryPrisma;
  const orders = fleet.servers.orders.prisma as OrdersPrisma;
  const { answer } = await inventory.$transaction(
    async (tx) => {
      await tx.$queryRawUnsafe(`SELECT 1 FROM "StockItem" WHERE "productId" = $1::uuid FOR UPDATE`, productId);
      const answer = postToSubgraph(
        fleet.urls.orders,
        'mutation($i: CheckoutInput!, $k: String!) { checkout(input: $i, idempotencyKey: $k) { id status } }',
        { i: { paymentMethod: VISA }, k: randomUUID() },
        gatewaySigned({ userId, client: 'web' }),
      );
      // A checkout that answered without placing an order (refused at its stock read, or shed) never will: say what it got.
      let early: unknown;
      void answer.then(
        (a) => (early = a.body),
        (error: unknown) => (early = String(error)),
      );
      const deadline = Date.now() + 60_000;
      for (;;) {
        // Read before looking for the order: an answer comes after its order's placement committed.
        const answered = early !== undefined;
        if (await orders.order.findFirst({ where: { userId }, select: { id: true } })) break;
        if (answered || Date.now() > deadline)
          throw new Error(`the checkout placed no order; it answered ${JSON.stringify(early)}`);
        await sleep(20);
      }
      await tx.$queryRawUnsafe(
        `UPDATE "StockItem" SET "onHand" = "reserved" WHERE "productId" = $1::uuid RETURNING "productId"`,
        productId,
      );
      // Not awaited in here: the checkout may wait for this transaction's lock.
      return { answer };
    },
    { maxWait: 10_000, timeout: 120_000 },
  );
  const { body } = await answer;
  // OUT_OF_STOCK naming the order; PENDING when the first reservation attempt timed out (its retry was refused).
  const extensions = body.errors?.[0]?.extensions;
  const id =
    extensions?.code === 'OUT_OF_STOCK'
      ? extensions.orderId
      : (body.data as { checkout?: { id?: string } } | null)?.checkout?.id;
  if (typeof id !== 'string')
    throw new Error(`expected OUT_OF_STOCK naming the order or the order, got ${JSON.stringify(body)}`);
  return { id, userId, totalCents: unitPriceCents, status: await settled(userId, id) };
}

interface OrderState {
  status: string;
  saga: { state: string } | null;
  cancellation: { state: string } | null;
}

async function settled(userId: string, id: string, also: (order: OrderState) => boolean = () => true): Promise<string> {
  const terminal = (state: string | undefined) =>
    state === undefined || state === 'SUCCEEDED' || state === 'COMPENSATED';
  for (let i = 0; i < 600; i++) {
    const { order } = (await asBuyer(
      userId,
      'query($id: ID!) { order(id: $id) { id status saga { state } cancellation { state } } }',
      { id },
    )) as unknown as { order: OrderState };
    if (order.status !== 'PENDING' && terminal(order.saga?.state) && terminal(order.cancellation?.state) && also(order))
      return order.status;
    await sleep(50);
  }
  throw new Error(`order ${id} did not settle`);
}

async function check(repair = false): Promise<ReconcileReport> {
  const { orders, inventory, payments } = fleet.servers;
  return reconcileSagas(
    { orders: orders.prisma, inventory: inventory.prisma, payments: payments.prisma },
    { deadlineMs: 30_000, repair, providers },
  );
}

async function one<T>(
  db: { $queryRawUnsafe<R>(sql: string, ...values: unknown[]): Promise<R> },
  sql: string,
  ...values: unknown[]
): Promise<T> {
  const rows = await db.$queryRawUnsafe<T[]>(sql, ...values);
  if (rows.length !== 1) throw new Error(`expected one row from ${sql}, got ${rows.length}`);
  return rows[0]!;
}

const reservedOf = async (productId: string) =>
  (
    await one<{ reserved: number }>(
      fleet.servers.inventory.prisma,
      `SELECT "reserved" FROM "StockItem" WHERE "productId" = $1::uuid`,
      productId,
    )
  ).reserved;
const holdOf = async (sagaId: string) =>
  (
    await one<{ status: string }>(
      fleet.servers.inventory.prisma,
      `SELECT "status"::text AS "status" FROM "StockHold" WHERE "sagaId" = $1::uuid`,
      sagaId,
    )
  ).status;
const paymentOf = async (sagaId: string) =>
  (
    await one<{ status: string }>(
      fleet.servers.payments.prisma,
      `SELECT "status"::text AS "status" FROM "Payment" WHERE "sagaId" = $1::uuid`,
      sagaId,
    )
  ).status;

type Row = Record<string, unknown>;

/**
 * What a checkout order leaves in the three services, as its saga and reconcile read them, without
 * what differs between any two orders (ids, times, amounts): compared as relations instead (the
 * hold's lines are the order's, the payment's amount its total). Retries a loaded machine adds (a
 * transient failure, then a new attempt) are left out of the log.
 */
async function checkoutShape(orderId: string) {
  const { orders, inventory, payments } = fleet.servers;
  const rows = (db: typeof orders.prisma, sql: string) => db.$queryRawUnsafe<Row[]>(sql, orderId);
  const events = (await rows(
    orders.prisma,
    `SELECT "type", "data" FROM "OrderEvent" WHERE "streamId" = $1::uuid ORDER BY "version"`,
  )) as Array<{ type: string; data: { step?: string; detail?: string; attempt?: number; final?: boolean } }>;
  const log = events
    .filter((e) => !(e.type === 'SagaStepFailed' && e.data.final === false))
    .filter((e) => !(e.type === 'SagaStepStarted' && (e.data.attempt ?? 1) > 1))
    .map((e) => [e.type, e.data.step, e.data.detail].filter(Boolean).join(' '));
  const [order] = await rows(
    orders.prisma,
    `SELECT o."status"::text AS "status", o."statusReason", o."totalCents", o."currency",
       (o."updatedAt" = (SELECT MAX(e."occurredAt") FROM "OrderEvent" e WHERE e."streamId" = o."id" AND e."type" = 'OrderConfirmed')) AS "updatedAtConfirmation"
     FROM "Order" o WHERE o."id" = $1::uuid`,
  );
  const items = await rows(
    orders.prisma,
    `SELECT "productId"::text AS "productId", "quantity" FROM "OrderItem" WHERE "orderId" = $1::uuid ORDER BY "productId"`,
  );
  const saga = await rows(
    orders.prisma,
    `SELECT "kind"::text AS "kind", "state"::text AS "state", "reason", ("orderId" = "id") AS "ownOrder",
       ("deadline" > "createdAt") AS "deadlineAhead", ("updatedAt" >= "createdAt") AS "updatedAfter"
     FROM "Saga" WHERE "orderId" = $1::uuid`,
  );
  const steps = await rows(
    orders.prisma,
    `SELECT "name"::text AS "name", "position", "status"::text AS "status", "error" FROM "SagaStep" WHERE "sagaId" = $1::uuid ORDER BY "position"`,
  );
  const leases = await rows(orders.prisma, `SELECT 1 FROM "SagaLease" WHERE "sagaId" = $1::uuid`);
  const holds = await rows(
    inventory.prisma,
    `SELECT "status"::text AS "status", "releaseReason" FROM "StockHold" WHERE "sagaId" = $1::uuid`,
  );
  const lines = await rows(
    inventory.prisma,
    `SELECT "productId"::text AS "productId", "quantity" FROM "Reservation" WHERE "sagaId" = $1::uuid ORDER BY "productId"`,
  );
  const stock = await rows(
    inventory.prisma,
    `SELECT ("onHand" >= 0) AS "onHandLeft", "reserved" FROM "StockItem" s
     WHERE s."productId" IN (SELECT r."productId" FROM "Reservation" r WHERE r."sagaId" = $1::uuid)`,
  );
  const [payment] = await rows(
    payments.prisma,
    `SELECT "status"::text AS "status", "declineCode", "amountCents", "currency", ("orderId" = "sagaId") AS "ownOrder" FROM "Payment" WHERE "sagaId" = $1::uuid`,
  );
  const charges = await rows(
    payments.prisma,
    `SELECT ("attempts" >= 1) AS "called", "callState"::text AS "callState", "callUntil", "voidedAt", ("orderId" = "sagaId") AS "ownOrder", "amountCents", "currency"
     FROM "SagaCharge" WHERE "sagaId" = $1::uuid`,
  );
  const entries = await rows(
    payments.prisma,
    `SELECT "kind"::text AS "kind", "amountCents", "currency" FROM "ProcessorEntry" WHERE "idempotencyKey" = $1::text ORDER BY "kind"`,
  );
  const money = { amountCents: order?.totalCents, currency: order?.currency };
  return {
    log,
    order: {
      status: order?.status,
      statusReason: order?.statusReason,
      updatedAtConfirmation: order?.updatedAtConfirmation,
    },
    saga,
    steps,
    leases: leases.length,
    hold: { holds, linesAreTheOrders: JSON.stringify(lines) === JSON.stringify(items) },
    stock: {
      rows: stock.length === items.length,
      noneReserved: stock.every((s) => s.reserved === 0),
      onHandLeft: stock.every((s) => s.onHandLeft),
    },
    payment: {
      ...payment,
      amountCents: undefined,
      currency: undefined,
      forTheTotal: payment?.amountCents === money.amountCents && payment?.currency === money.currency,
    },
    charges: charges.map((c) => ({
      ...c,
      amountCents: undefined,
      currency: undefined,
      forTheTotal: c.amountCents === money.amountCents && c.currency === money.currency,
    })),
    processor: entries.map((e) => ({
      kind: e.kind,
      forTheTotal: e.amountCents === money.amountCents && e.currency === money.currency,
    })),
  };
}

/** A leaked reservation as a lost release leaves it: the hold HELD again, its units counted as reserved. */
async function leakHold(sagaId: string, productId: string, quantity: number): Promise<void> {
  const inventory = fleet.servers.inventory.prisma;
  await inventory.$queryRawUnsafe(
    `UPDATE "StockHold" SET "status" = 'HELD' WHERE "sagaId" = $1::uuid RETURNING "sagaId"`,
    sagaId,
  );
  await inventory.$queryRawUnsafe(
    `UPDATE "StockItem" SET "reserved" = "reserved" + $2 WHERE "productId" = $1::uuid RETURNING "productId"`,
    productId,
    quantity,
  );
}

let confirmed: Placed;
let cancelled: Placed;
let declined: Placed;
let short: Placed;

beforeAll(async () => {
  fleet = await startSubgraphs(prefix, { seedScale: SEED_SCALE });
  env = {
    ...databaseEnv(prefix),
    GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET,
    INVENTORY_URL: fleet.urls.inventory,
    PAYMENTS_URL: fleet.urls.payments,
    RECONCILE_GRACE_MS: '0',
  };
  providers = createRepairProviders(ordersConfigFromEnv(env), silentLogger());
  const results = await Promise.all([
    placeOrder(confirmedProduct!.id, 2, VISA, confirmedProduct!.priceCents),
    placeOrder(cancelledProduct!.id, 1, VISA, cancelledProduct!.priceCents, 'cancel'),
    placeOrder(declinedProduct!.id, 1, DECLINED, declinedProduct!.priceCents),
    placeLateShortOrder(shortProduct!.id, shortProduct!.priceCents),
  ]);
  expect(results.map((r) => r.status)).toEqual(['CONFIRMED', 'CANCELLED', 'FAILED', 'FAILED']);
  [confirmed, cancelled, declined, short] = results;
}, 120_000);

afterAll(async () => {
  await providers?.close();
  await fleet?.close();
});

describe('reconcile', () => {
  it('finds the seeded history and real checkouts consistent', async () => {
    const report = await check();
    expect(report.findings).toEqual([]);
    expect(report.consistent).toBe(true);
    // The seeded orders and payments were all checked, beside the four checkouts' holds and the
    // seeded order placed through checkout's.
    expect(report.checked.orders).toBe(demoData(SEED_SCALE).orders.length + 4);
    expect(report.checked.payments).toBe(demoData(SEED_SCALE).payments.length + 3);
    expect(report.checked.holds).toBe(5);
    expect([
      await holdOf(confirmed.id),
      await holdOf(cancelled.id),
      await holdOf(declined.id),
      await holdOf(short.id),
    ]).toEqual(['COMMITTED', 'RETURNED', 'RELEASED', 'REJECTED']);
  });

  it('finds the seeded order placed through checkout as a real checkout leaves its rows', async () => {
    const seeded = await checkoutShape(DEMO_CANCELLABLE_ORDER_ID);
    expect(seeded).toEqual(await checkoutShape(confirmed.id));
    expect(seeded.log).toEqual([
      'OrderPlaced',
      'SagaStepStarted RESERVE_STOCK',
      'SagaStepSucceeded RESERVE_STOCK HELD',
      'SagaStepStarted CHARGE_PAYMENT',
      'SagaStepSucceeded CHARGE_PAYMENT CAPTURED',
      'OrderConfirmed',
      'SagaStepStarted COMMIT_STOCK',
      'SagaStepSucceeded COMMIT_STOCK COMMITTED',
      'SagaCompleted',
    ]);
  });

  it('reports each injected drift exactly, repairs the repairable ones through the services, and is clean after', async () => {
    await leakHold(declined.id, declinedProduct!.id, 1);
    // A charge taken behind orders' back for a saga it failed (out of stock, so never charged nor voided).
    const charged = await postToSubgraph(
      fleet.urls.payments,
      'mutation($input: ChargeInput!) { chargePayment(input: $input) { sagaId outcome } }',
      { input: { sagaId: short.id, orderId: short.id, amountCents: short.totalCents, currency: 'USD', card: VISA } },
      gatewaySigned({ userId: short.userId, client: 'service' }),
    );
    expect(charged.body.data).toEqual({ chargePayment: { sagaId: short.id, outcome: 'CAPTURED' } });
    const counter = await reservedOf(counterProduct!.id);
    await fleet.servers.inventory.prisma.$queryRawUnsafe(
      `UPDATE "StockItem" SET "reserved" = "reserved" + 1 WHERE "productId" = $1::uuid RETURNING "productId"`,
      counterProduct!.id,
    );

    const leak = {
      kind: 'leaked_reservation',
      subject: `saga ${declined.id} (order FAILED)`,
      expected: 'hold none/REJECTED/RELEASED',
      found: `HELD (${declinedProduct!.id} x1)`,
      repair: { action: 'releaseStock', sagaId: declined.id },
    };
    const orphan = {
      kind: 'orphan_charge',
      subject: `saga ${short.id} (order FAILED)`,
      expected: 'payment none/DECLINED/VOIDED/REFUNDED',
      found: `CAPTURED ${short.totalCents} USD`,
      repair: { action: 'refundPayment', sagaId: short.id },
    };
    const drift = {
      kind: 'reserved_drift',
      subject: `product ${counterProduct!.id}`,
      expected: `reserved ${counter} (units in HELD holds)`,
      found: `reserved ${counter + 1}`,
      repair: null,
    };
    const byKind = (r: ReconcileReport) => [...r.findings].sort((a, b) => a.kind.localeCompare(b.kind));

    const report = await check();
    expect(report.consistent).toBe(false);
    expect(byKind(report).map((f) => [f.kind, f.subject])).toEqual([
      ['leaked_reservation', leak.subject],
      ['orphan_charge', orphan.subject],
      ['reserved_drift', drift.subject],
    ]);
    expect(byKind(report)[0]).toMatchObject({
      ...leak,
      repair: expect.objectContaining(leak.repair) as unknown,
      outcome: null,
    });
    expect(byKind(report)[1]).toMatchObject({
      ...orphan,
      repair: expect.objectContaining(orphan.repair) as unknown,
      outcome: null,
    });
    expect(byKind(report)[2]).toMatchObject({ ...drift, outcome: null });
    // Nothing changed without --repair.
    expect([await holdOf(declined.id), await paymentOf(short.id)]).toEqual(['HELD', 'CAPTURED']);

    const reserved = await reservedOf(declinedProduct!.id);
    const repaired = await check(true);
    expect(byKind(repaired).map((f) => [f.kind, f.outcome])).toEqual([
      ['leaked_reservation', { status: 'repaired', detail: 'releaseStock -> RELEASED' }],
      ['orphan_charge', { status: 'repaired', detail: 'refundPayment -> REFUNDED' }],
      ['reserved_drift', null],
    ]);
    expect(repaired.consistent).toBe(false);
    expect([await holdOf(declined.id), await paymentOf(short.id), await reservedOf(declinedProduct!.id)]).toEqual([
      'RELEASED',
      'REFUNDED',
      reserved - 1,
    ]);

    // The counter is inventory's to correct; once its operator has, the next run is clean.
    await fleet.servers.inventory.prisma.$queryRawUnsafe(
      `UPDATE "StockItem" SET "reserved" = "reserved" - 1 WHERE "productId" = $1::uuid RETURNING "productId"`,
      counterProduct!.id,
    );
    const after = await check();
    expect(after.findings).toEqual([]);
    expect(after.consistent).toBe(true);
  });

  it('runs as `npx tsx scripts/reconcile.ts`: exit 1 with one line per finding, then --repair --json exits 0', async () => {
    const run = promisify(execFile);
    const cli = async (...args: string[]) =>
      run('npx', ['tsx', 'scripts/reconcile.ts', ...args], { cwd: ROOT_DIR, env, timeout: 60_000 }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code?: number; stdout?: string; stderr?: string }) => ({
          code: error.code ?? -1,
          stdout: error.stdout ?? '',
          stderr: error.stderr ?? '',
        }),
      );
    await leakHold(declined.id, declinedProduct!.id, 1);

    const drifted = await cli();
    expect(drifted.code).toBe(1);
    const lines = drifted.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^reconcile: \d+ orders, 5 stock holds, \d+ payments, \d+ stock rows checked: 1 finding\(s\), 0 repaired, drift remains$/,
    );
    expect(lines[1]).toBe(
      `leaked_reservation saga ${declined.id} (order FAILED): expected hold none/REJECTED/RELEASED; found HELD (${declinedProduct!.id} x1); repair: releaseStock(${declined.id}) pending (run with --repair)`,
    );

    const fixed = await cli('--repair', '--json');
    expect(fixed.code).toBe(0);
    const report = JSON.parse(fixed.stdout) as ReconcileReport & { databases: string[] };
    expect(report.databases).toEqual(
      ['orders', 'inventory', 'payments'].map((s) => `postgres://127.0.0.1:5432/${prefix}${s}`),
    );
    expect(report.consistent).toBe(true);
    expect(report.findings.map((f) => [f.kind, f.outcome])).toEqual([
      ['leaked_reservation', { status: 'repaired', detail: 'releaseStock -> RELEASED' }],
    ]);
    expect(await holdOf(declined.id)).toBe('RELEASED');

    expect((await cli('--fix')).code).toBe(2);
    // A checker never creates a database: a wrong prefix is an error, and leaves nothing behind.
    const missing = uniquePrefix('reconcilemissing');
    const failed = await run('npx', ['tsx', 'scripts/reconcile.ts'], {
      cwd: ROOT_DIR,
      env: { ...env, DATABASE_PREFIX: missing },
      timeout: 60_000,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code?: number; stderr?: string }) => ({ code: error.code ?? -1, stderr: error.stderr ?? '' }),
    );
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(/^reconcile FAILED: /);
    expect(await listDatabases(TEST_SERVER_URL, missing)).toEqual([]);
  }, 120_000);

  it('reads through handles that refuse writes', async () => {
    const database = await openServiceDatabase('payments', { env, poolSize: 1, readOnly: true });
    const prisma = createPaymentsPrisma(database.adapter);
    try {
      expect(Number((await one<{ n: number }>(prisma, 'SELECT count(*)::int AS n FROM "Payment"')).n)).toBeGreaterThan(
        0,
      );
      await expect(prisma.$queryRawUnsafe(`UPDATE "Payment" SET "status" = 'REFUNDED' RETURNING "id"`)).rejects.toThrow(
        /read-only transaction/,
      );
    } finally {
      await prisma.$disconnect();
      await database.close();
    }
  });
});
