import type { RawQuerier } from '../../../../lib/db/index.ts';

/**
 * What the checker reads from each service's own database, with plain SELECTs (each a single
 * statement, so each is one consistent snapshot of its database). Orders owns these readers because
 * the saga is its own; inventory's and payments' tables are only ever read here, never written.
 */

export interface Line {
  productId: string;
  quantity: number;
}

export interface SagaState {
  id: string;
  state: string;
  createdAt: Date;
}

export interface OrderRow {
  id: string;
  userId: string;
  status: string;
  totalCents: number;
  currency: string;
  updatedAt: Date;
  items: Line[];
  /** The checkout saga (its id is the order id); null for orders imported without one. */
  checkout: (SagaState & { deadline: Date | null }) | null;
  cancellations: SagaState[];
}

export interface HoldRow {
  sagaId: string;
  status: string;
  createdAt: Date;
  lines: Line[];
}

export interface StockRow {
  productId: string;
  /** Null for a product that only appears in held lines (no stock row). */
  onHand: number | null;
  reserved: number | null;
  /** Units of the product in HELD holds, from the same snapshot. */
  heldUnits: number;
}

export interface PaymentRow {
  id: string;
  sagaId: string;
  orderId: string;
  userId: string;
  status: string;
  amountCents: number;
  currency: string;
  createdAt: Date;
}

/** A capture the processor holds, not refunded, for a saga whose payments database has no payment. */
export interface UnrecordedCapture {
  sagaId: string;
  orderId: string;
  amountCents: number;
  currency: string;
  /** When payments last recorded anything about the saga's charge (its intent, at the latest). */
  since: Date;
}

export interface Snapshot {
  orders: OrderRow[];
  holds: HoldRow[];
  stock: StockRow[];
  payments: PaymentRow[];
  unrecordedCaptures: UnrecordedCapture[];
}

/** What reconcile asks the card processor: its captures by merchant reference (the saga id). */
export interface CaptureListing {
  listCaptures(idempotencyKeys: readonly string[]): Promise<
    | {
        kind: 'listed';
        captures: Array<{ idempotencyKey: string; amountCents: number; currency: string; refunded: boolean }>;
      }
    | { kind: 'unavailable'; reason: string }
  >;
}

interface RawOrder extends Omit<OrderRow, 'checkout' | 'cancellations'> {
  checkoutState: string | null;
  checkoutDeadline: Date | null;
  checkoutCreatedAt: Date | null;
  cancellations: Array<{ id: string; state: string; createdAt: string }> | null;
}

/** Orders with their items and sagas; only `ids` when given (the second look at suspects). */
export async function readOrders(db: RawQuerier, ids?: readonly string[]): Promise<OrderRow[]> {
  const rows = await db.$queryRawUnsafe<RawOrder[]>(
    `SELECT o."id", o."userId", o."status"::text AS "status", o."totalCents", o."currency", o."updatedAt",
       COALESCE((SELECT json_agg(json_build_object('productId', i."productId", 'quantity', i."quantity") ORDER BY i."position")
                 FROM "OrderItem" i WHERE i."orderId" = o."id"), '[]'::json) AS "items",
       c."state"::text AS "checkoutState", c."deadline" AS "checkoutDeadline", c."createdAt" AS "checkoutCreatedAt",
       (SELECT json_agg(json_build_object('id', s."id", 'state', s."state", 'createdAt', s."createdAt"))
          FROM "Saga" s WHERE s."orderId" = o."id" AND s."kind" = 'CANCELLATION') AS "cancellations"
     FROM "Order" o LEFT JOIN "Saga" c ON c."id" = o."id" AND c."kind" = 'CHECKOUT'
     ${ids ? 'WHERE o."id" = ANY($1::uuid[])' : ''}`,
    ...(ids ? [[...ids]] : []),
  );
  return rows.map((r) => ({
    id: r.id,
    userId: r.userId,
    status: r.status,
    totalCents: r.totalCents,
    currency: r.currency,
    updatedAt: r.updatedAt,
    items: r.items,
    checkout:
      r.checkoutState && r.checkoutCreatedAt
        ? { id: r.id, state: r.checkoutState, createdAt: r.checkoutCreatedAt, deadline: r.checkoutDeadline }
        : null,
    cancellations: (r.cancellations ?? []).map((s) => ({ id: s.id, state: s.state, createdAt: new Date(s.createdAt) })),
  }));
}

export async function readHolds(db: RawQuerier): Promise<HoldRow[]> {
  return db.$queryRawUnsafe<HoldRow[]>(
    `SELECT h."sagaId", h."status"::text AS "status", h."createdAt",
       COALESCE(json_agg(json_build_object('productId', r."productId", 'quantity', r."quantity") ORDER BY r."productId")
                FILTER (WHERE r."sagaId" IS NOT NULL), '[]'::json) AS "lines"
     FROM "StockHold" h LEFT JOIN "Reservation" r ON r."sagaId" = h."sagaId"
     GROUP BY h."sagaId"`,
  );
}

/** Every stock row beside the units HELD holds account for, in one statement: the counter and its sum agree in time. */
export async function readStock(db: RawQuerier): Promise<StockRow[]> {
  return db.$queryRawUnsafe<StockRow[]>(
    `SELECT COALESCE(s."productId", held."productId") AS "productId", s."onHand", s."reserved", COALESCE(held."units", 0)::int AS "heldUnits"
     FROM "StockItem" s
     FULL JOIN (SELECT r."productId", SUM(r."quantity") AS "units"
                FROM "Reservation" r JOIN "StockHold" h ON h."sagaId" = r."sagaId"
                WHERE h."status" = 'HELD' GROUP BY r."productId") held ON held."productId" = s."productId"`,
  );
}

export async function readPayments(db: RawQuerier): Promise<PaymentRow[]> {
  return db.$queryRawUnsafe<PaymentRow[]>(
    `SELECT "id", "sagaId", "orderId", "userId", "status"::text AS "status", "amountCents", "currency", "createdAt" FROM "Payment"`,
  );
}

/**
 * Sagas whose processor calls left no payment (an intent without a recorded outcome, an unavailable
 * processor, a voided saga), then the processor's captures for them: those not refunded are captures
 * the payments database does not know.
 */
export async function readUnrecordedCaptures(db: RawQuerier, processor: CaptureListing): Promise<UnrecordedCapture[]> {
  const calls = await db.$queryRawUnsafe<Array<{ sagaId: string; orderId: string | null; since: Date }>>(
    `SELECT s."sagaId", s."orderId", s."updatedAt" AS "since" FROM "SagaCharge" s
     WHERE s."attempts" > 0 AND NOT EXISTS (SELECT 1 FROM "Payment" p WHERE p."sagaId" = s."sagaId")`,
  );
  if (calls.length === 0) return [];
  const listing = await processor.listCaptures(calls.map((c) => c.sagaId));
  if (listing.kind !== 'listed') throw new Error(`the card processor did not answer (${listing.reason})`);
  const bySaga = new Map(calls.map((c) => [c.sagaId, c]));
  return listing.captures.flatMap((capture) => {
    const call = bySaga.get(capture.idempotencyKey);
    if (!call || capture.refunded) return [];
    return [
      {
        sagaId: call.sagaId,
        // Checkout sagas charge their own order, whose id is the saga id.
        orderId: call.orderId ?? call.sagaId,
        amountCents: capture.amountCents,
        currency: capture.currency,
        since: call.since,
      },
    ];
  });
}
