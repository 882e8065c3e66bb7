import pg from 'pg';
import type { RawQuerier } from '../../lib/db/pagedChildren.ts';
import { reconcile, type ReconcileReport, type RepairProviders } from '../../subgraphs/orders/src/reconcile/index.ts';
import { createCardProcessor, databaseLedger } from '../../subgraphs/payments/src/processor/index.ts';
import { TEST_SERVER_URL } from './databases.ts';

/**
 * Read-only SQL over the checkout saga's three databases (orders, inventory, payments) under one
 * test prefix: what each service recorded, side by side, so a test can reconcile them. Tests only;
 * a service never reads another's tables.
 */
type SagaDatabase = 'orders' | 'inventory' | 'payments';

export class SagaLedger {
  readonly #pools: Record<SagaDatabase, pg.Pool>;

  constructor(prefix: string) {
    const pool = (service: string) => {
      const url = new URL(TEST_SERVER_URL);
      url.pathname = `/${prefix}${service}`;
      return new pg.Pool({ connectionString: url.toString(), max: 2 });
    };
    this.#pools = { orders: pool('orders'), inventory: pool('inventory'), payments: pool('payments') };
  }

  async query<T>(service: SagaDatabase, sql: string, values: unknown[] = []): Promise<T[]> {
    return (await this.#pools[service].query(sql, values)).rows as T[];
  }

  /** The operators' reconciliation (`npm run reconcile`, report only) over these three databases. */
  drift(deadlineMs: number): Promise<ReconcileReport> {
    const querier = (service: SagaDatabase): RawQuerier => ({
      $queryRawUnsafe: async <T>(sql: string, ...values: unknown[]) =>
        (await this.#pools[service].query(sql, values)).rows as T,
    });
    return reconcileSagas(
      { orders: querier('orders'), inventory: querier('inventory'), payments: querier('payments') },
      { deadlineMs, repair: false },
    );
  }

  /** Orders by id with their status, total and units. */
  orders(ids: readonly string[]) {
    return this.query<LedgerOrder>('orders', `${ORDER_SQL} WHERE o.id = ANY($1::uuid[]) GROUP BY o.id`, [ids]);
  }

  /** The orders of these buyers. */
  ordersOf(userIds: readonly string[]) {
    return this.query<LedgerOrder>('orders', `${ORDER_SQL} WHERE o."userId" = ANY($1::uuid[]) GROUP BY o.id`, [
      userIds,
    ]);
  }

  /** Sagas (checkouts and cancellations) that are not yet terminal. */
  async openSagas(): Promise<number> {
    const [row] = await this.query<{ n: number }>(
      'orders',
      `SELECT count(*)::int AS n FROM "Saga" WHERE state NOT IN ('SUCCEEDED', 'COMPENSATED')`,
    );
    return row!.n;
  }

  stock(productId: string) {
    return this.query<{ onHand: number; reserved: number }>(
      'inventory',
      'SELECT "onHand", reserved FROM "StockItem" WHERE "productId" = $1',
      [productId],
    ).then((rows) => rows[0]);
  }

  /**
   * Everything a reconciliation compares, over the orders in `orderIds`: orders by status, charges
   * per order, captured and refunded money, committed units and holds still HELD.
   */
  async reconcile(orderIds: readonly string[]): Promise<Reconciliation> {
    const orders = await this.orders(orderIds);
    const confirmed = orders.filter((o) => o.status === 'CONFIRMED');
    const payments = await this.query<{ orderId: string; status: string; amountCents: number }>(
      'payments',
      'SELECT "orderId", status::text, "amountCents" FROM "Payment" WHERE "orderId" = ANY($1::uuid[])',
      [orderIds],
    );
    const holds = await this.query<{ sagaId: string; status: string; units: number }>(
      'inventory',
      'SELECT h."sagaId", h.status::text, coalesce(sum(r.quantity), 0)::int AS units FROM "StockHold" h LEFT JOIN "Reservation" r ON r."sagaId" = h."sagaId" WHERE h."sagaId" = ANY($1::uuid[]) GROUP BY h."sagaId"',
      [orderIds],
    );
    const chargesPerOrder = new Map<string, number>();
    for (const p of payments)
      if (p.status === 'CAPTURED' || p.status === 'REFUNDED')
        chargesPerOrder.set(p.orderId, (chargesPerOrder.get(p.orderId) ?? 0) + 1);
    const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
    return {
      byStatus: countBy(orders.map((o) => o.status)),
      nonTerminal: orders.filter((o) => o.status === 'PENDING').map((o) => o.id),
      captured: payments.filter((p) => p.status === 'CAPTURED').map((p) => p.orderId),
      maxChargesPerOrder: Math.max(0, ...chargesPerOrder.values()),
      chargedCents: sum(
        payments.filter((p) => p.status === 'CAPTURED' || p.status === 'REFUNDED').map((p) => p.amountCents),
      ),
      refundedCents: sum(payments.filter((p) => p.status === 'REFUNDED').map((p) => p.amountCents)),
      confirmedIds: confirmed.map((o) => o.id),
      confirmedCents: sum(confirmed.map((o) => o.totalCents)),
      confirmedUnits: sum(confirmed.map((o) => o.units)),
      committedUnits: sum(holds.filter((h) => h.status === 'COMMITTED').map((h) => h.units)),
      heldFor: holds.filter((h) => h.status === 'HELD').map((h) => h.sagaId),
      holdsByStatus: countBy(holds.map((h) => h.status)),
      paymentsByStatus: countBy(payments.map((p) => p.status)),
    };
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.#pools).map((p) => p.end()));
  }
}

const ORDER_SQL = `SELECT o.id, o."userId", o.status::text, o."totalCents", coalesce(sum(i.quantity), 0)::int AS units
  FROM "Order" o LEFT JOIN "OrderItem" i ON i."orderId" = o.id`;

/**
 * `reconcile` over the saga's three databases as the operators' command runs it, asking the
 * simulated card processor (whose books are payments' `ProcessorEntry` table) about captures;
 * `providers` are the services' APIs a repair goes through.
 */
export function reconcileSagas(
  databases: { orders: RawQuerier; inventory: RawQuerier; payments: RawQuerier },
  options: { deadlineMs: number; repair: boolean; providers?: RepairProviders },
): Promise<ReconcileReport> {
  const processor = createCardProcessor(
    { latencyMs: 0, failureRate: 0, timeoutMs: 10_000 },
    { ledger: databaseLedger(databases.payments) },
  );
  return reconcile(
    { ...databases, processor, ...(options.providers ? { providers: options.providers } : {}) },
    { now: new Date(), deadlineMs: options.deadlineMs, graceMs: 0, repair: options.repair },
  );
}

export interface LedgerOrder {
  id: string;
  userId: string;
  status: string;
  totalCents: number;
  units: number;
}

export interface Reconciliation {
  byStatus: Record<string, number>;
  nonTerminal: string[];
  /** Orders whose payment is CAPTURED now (not refunded). */
  captured: string[];
  /** The most charges (captured, whether refunded later or not) any one order has. */
  maxChargesPerOrder: number;
  chargedCents: number;
  refundedCents: number;
  confirmedIds: string[];
  confirmedCents: number;
  confirmedUnits: number;
  committedUnits: number;
  /** Orders whose stock hold is still HELD. */
  heldFor: string[];
  holdsByStatus: Record<string, number>;
  paymentsByStatus: Record<string, number>;
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

/** The p-th percentile (0..100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
