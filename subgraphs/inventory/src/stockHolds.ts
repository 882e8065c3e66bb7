import { appendToOutbox, createEvent } from '../../../lib/events/index.ts';
import { notFound } from '../../../lib/errors.ts';
import type { InventoryPrisma, Prisma, StockHoldStatus } from './db.ts';

/** One product's units in a request, productIds distinct (see `parseStockLines`). */
export interface StockLine {
  productId: string;
  quantity: number;
}

export interface StockShortage {
  productId: string;
  requested: number;
  available: number;
}

/** A saga's hold as the graph shows it. */
export interface StockHoldValue {
  sagaId: string;
  status: StockHoldStatus;
  lines: StockLine[];
  shortages: StockShortage[];
}

type Tx = Prisma.TransactionClient;

interface StockRow {
  productId: string;
  onHand: number;
  reserved: number;
}

type StockReason = 'reserved' | 'released' | 'committed' | 'adjusted';

/**
 * Every step is one short transaction; under a burst of checkouts for one product they queue on its
 * row lock, so a transaction may wait for a connection well past Prisma's 2 s default before its turn.
 */
const TX_OPTIONS = { maxWait: 15_000, timeout: 15_000 } as const;

/**
 * The products' stock rows. With `lock`, they are locked in productId order, the one order every step
 * uses, so steps never deadlock; without, they are the last committed values.
 */
async function readStock(
  tx: Tx,
  productIds: readonly string[],
  { lock }: { lock: boolean },
): Promise<Map<string, StockRow>> {
  const rows = await tx.$queryRawUnsafe<StockRow[]>(
    `SELECT "productId", "onHand", "reserved" FROM "StockItem" WHERE "productId" = ANY($1::uuid[]) ORDER BY "productId"${lock ? ' FOR UPDATE' : ''}`,
    [...productIds],
  );
  return new Map(rows.map((row) => [row.productId, row]));
}

/** Each line with the units available for it (0 for a product inventory does not stock). */
function availability(stock: Map<string, StockRow>, lines: readonly StockLine[]) {
  return lines.map((line) => {
    const row = stock.get(line.productId);
    return { ...line, available: row ? row.onHand - row.reserved : 0 };
  });
}

function shortagesOf(lines: ReturnType<typeof availability>): StockShortage[] {
  return lines
    .filter((l) => l.available < l.quantity)
    .map((l) => ({ productId: l.productId, requested: l.quantity, available: l.available }));
}

/**
 * Moves each line's quantity on locked rows, times `change` per column, only where the result keeps
 * `reserved` and `onHand - reserved` at zero or more, and returns the rows changed, as they are now.
 */
async function moveStock(
  tx: Tx,
  lines: readonly StockLine[],
  change: { onHand: -1 | 0 | 1; reserved: -1 | 0 | 1 },
): Promise<StockRow[]> {
  return tx.$queryRawUnsafe<StockRow[]>(
    `UPDATE "StockItem" s
     SET "onHand" = s."onHand" + $3 * l.q, "reserved" = s."reserved" + $4 * l.q, "updatedAt" = CURRENT_TIMESTAMP
     FROM unnest($1::uuid[], $2::int[]) AS l(pid, q)
     WHERE s."productId" = l.pid
       AND s."onHand" + $3 * l.q - (s."reserved" + $4 * l.q) >= 0
       AND s."reserved" + $4 * l.q >= 0
     RETURNING s."productId", s."onHand", s."reserved"`,
    lines.map((l) => l.productId),
    lines.map((l) => l.quantity),
    change.onHand,
    change.reserved,
  );
}

/**
 * One `stock.changed` per product, in the transaction that changed it. `delta` is the signed change
 * of the units the reason is about: available units for reserved/released, units on hand for
 * committed/adjusted (a returned sale).
 */
async function publishStockChanges(
  tx: Tx,
  rows: readonly StockRow[],
  lines: readonly StockLine[],
  reason: StockReason,
  sign: -1 | 1,
): Promise<void> {
  const quantities = new Map(lines.map((l) => [l.productId, l.quantity]));
  for (const row of rows) {
    const payload = {
      productId: row.productId,
      available: row.onHand - row.reserved,
      reserved: row.reserved,
      delta: sign * (quantities.get(row.productId) ?? 0),
      reason,
    };
    await appendToOutbox(tx, createEvent('stock.changed', payload, { source: 'inventory' }));
  }
}

/** Applies a stock change that the hold's state guarantees; a row that refuses it means the counts are corrupt. */
async function applyToStock(
  tx: Tx,
  lines: readonly StockLine[],
  change: { onHand: -1 | 0 | 1; reserved: -1 | 0 | 1 },
  reason: StockReason,
  sign: -1 | 1,
): Promise<void> {
  await readStock(
    tx,
    lines.map((l) => l.productId),
    { lock: true },
  );
  const rows = await moveStock(tx, lines, change);
  if (rows.length !== lines.length) throw new Error(`stock rows refused a ${reason} change their hold accounts for`);
  await publishStockChanges(tx, rows, lines, reason, sign);
}

type HoldRow = Prisma.StockHoldGetPayload<{ include: { lines: true } }>;

function toValue(hold: HoldRow): StockHoldValue {
  const lines = byProduct(hold.lines);
  return {
    sagaId: hold.sagaId,
    status: hold.status,
    lines: lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
    shortages:
      hold.status === 'REJECTED'
        ? lines
            .filter((l) => l.available !== null && l.available < l.quantity)
            .map((l) => ({ productId: l.productId, requested: l.quantity, available: l.available ?? 0 }))
        : [],
  };
}

async function findHold(db: Tx | InventoryPrisma, sagaId: string): Promise<StockHoldValue | null> {
  const hold = await db.stockHold.findUnique({ where: { sagaId }, include: { lines: true } });
  return hold ? toValue(hold) : null;
}

/** The saga's hold with its row locked for the rest of the transaction, or null. */
async function lockHold(tx: Tx, sagaId: string): Promise<StockHoldValue | null> {
  await tx.$queryRawUnsafe(`SELECT 1 FROM "StockHold" WHERE "sagaId" = $1::uuid FOR UPDATE`, sagaId);
  return findHold(tx, sagaId);
}

function byProduct<T extends { productId: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => a.productId.localeCompare(b.productId));
}

/**
 * Holds every line's units for the saga, or none: REJECTED (recorded, with the lines that lacked
 * units) when any line cannot be met. The hold row is claimed with ON CONFLICT DO NOTHING, so of
 * concurrent duplicates one reserves and the others wait for it and answer its outcome; a tombstone
 * left by an earlier release makes this answer RELEASED and hold nothing.
 *
 * A shortage in the last committed stock is final without any lock (the request could not be met
 * at that moment, and REJECTED changes no stock), so under a rush on a sold-out product the
 * rejections do not queue on its row. Otherwise the rows are locked and checked again before the
 * guarded UPDATE takes the units.
 */
export async function reserveStock(
  prisma: InventoryPrisma,
  sagaId: string,
  lines: readonly StockLine[],
): Promise<StockHoldValue> {
  const existing = await findHold(prisma, sagaId);
  if (existing) return existing;
  const productIds = lines.map((l) => l.productId);
  return prisma.$transaction(async (tx) => {
    const reject = async (checked: ReturnType<typeof availability>, claimed: boolean): Promise<StockHoldValue> => {
      if (claimed) {
        await tx.stockHold.update({ where: { sagaId }, data: { status: 'REJECTED' } });
      } else {
        const claim = await tx.stockHold.createMany({ data: [{ sagaId, status: 'REJECTED' }], skipDuplicates: true });
        if (claim.count === 0) return requireHold(tx, sagaId);
      }
      await tx.reservation.createMany({ data: checked.map((l) => ({ sagaId, ...l })) });
      return { sagaId, status: 'REJECTED', lines: byProduct(lines), shortages: byProduct(shortagesOf(checked)) };
    };
    const committed = availability(await readStock(tx, productIds, { lock: false }), lines);
    if (shortagesOf(committed).length) return reject(committed, false);
    const claim = await tx.stockHold.createMany({ data: [{ sagaId, status: 'HELD' }], skipDuplicates: true });
    if (claim.count === 0) return requireHold(tx, sagaId);
    const stock = await readStock(tx, productIds, { lock: true });
    const locked = availability(stock, lines);
    if (shortagesOf(locked).length) return reject(locked, true);
    await holdLocked(tx, sagaId, lines, stock);
    return { sagaId, status: 'HELD', lines: byProduct(lines), shortages: [] };
  }, TX_OPTIONS);
}

/**
 * The units of `lines` reserved for the saga on rows this transaction has locked (`stock`, as read
 * under the lock, which covers them), the hold's lines and one `stock.changed` per product written,
 * all in one statement. Under a rush on one product every reservation queues on its row lock, held
 * from the locking read until commit: one statement here instead of three keeps that queue moving
 * (each statement is a round trip through a busy event loop, the lock held all along). The events
 * are built from the locked values; the guarded UPDATE must return exactly those rows as predicted,
 * else the counts are corrupt and the transaction is rolled back with everything it wrote.
 */
async function holdLocked(
  tx: Tx,
  sagaId: string,
  lines: readonly StockLine[],
  stock: Map<string, StockRow>,
): Promise<void> {
  const after = lines.map((line) => {
    const row = stock.get(line.productId);
    if (!row) throw new Error(`stock row ${line.productId} was not locked for the hold`);
    return { productId: line.productId, onHand: row.onHand, reserved: row.reserved + line.quantity };
  });
  const events = after.map((row, i) =>
    createEvent(
      'stock.changed',
      {
        productId: row.productId,
        available: row.onHand - row.reserved,
        reserved: row.reserved,
        delta: -lines[i]!.quantity,
        reason: 'reserved',
      },
      { source: 'inventory' },
    ),
  );
  const moved = await tx.$queryRawUnsafe<StockRow[]>(
    `WITH moved AS (
       UPDATE "StockItem" s SET "reserved" = s."reserved" + l.q, "updatedAt" = CURRENT_TIMESTAMP
         FROM unnest($1::uuid[], $2::int[]) AS l(pid, q)
        WHERE s."productId" = l.pid AND s."onHand" - (s."reserved" + l.q) >= 0
       RETURNING s."productId", s."onHand", s."reserved"
     ), held AS (
       INSERT INTO "Reservation" ("sagaId", "productId", "quantity")
       SELECT $3::uuid, l.pid, l.q FROM unnest($1::uuid[], $2::int[]) AS l(pid, q)
     ), published AS (
       INSERT INTO "OutboxEvent" ("id", "type", "version", "source", "occurredAt", "payload")
       SELECT e.id, e.type, e.version, e.source, e.at, e.payload
         FROM unnest($4::uuid[], $5::text[], $6::int[], $7::text[], $8::timestamptz[], $9::jsonb[])
           AS e(id, type, version, source, at, payload)
     )
     SELECT "productId", "onHand", "reserved" FROM moved`,
    lines.map((l) => l.productId),
    lines.map((l) => l.quantity),
    sagaId,
    events.map((e) => e.id),
    events.map((e) => e.type),
    events.map((e) => e.version),
    events.map((e) => e.source),
    events.map((e) => e.occurredAt),
    events.map((e) => JSON.stringify(e.payload)),
  );
  const byId = new Map(moved.map((row) => [row.productId, row]));
  const exact = after.every((row) => {
    const now = byId.get(row.productId);
    return now?.onHand === row.onHand && now.reserved === row.reserved;
  });
  if (moved.length !== lines.length || !exact)
    throw new Error('a locked stock row refused a reservation its available units allowed');
}

async function requireHold(tx: Tx, sagaId: string): Promise<StockHoldValue> {
  const hold = await findHold(tx, sagaId);
  if (!hold) throw new Error(`hold ${sagaId} vanished inside its transaction`);
  return hold;
}

/**
 * HELD -> RELEASED (reserved units back to available), COMMITTED -> RETURNED (units back on hand);
 * any other state is returned as it is. A saga without a hold gets a RELEASED tombstone.
 */
export async function releaseStock(prisma: InventoryPrisma, sagaId: string, reason: string): Promise<StockHoldValue> {
  return prisma.$transaction(async (tx) => {
    const tombstone = await tx.stockHold.createMany({
      data: [{ sagaId, status: 'RELEASED', releaseReason: reason }],
      skipDuplicates: true,
    });
    if (tombstone.count === 1) return requireHold(tx, sagaId);
    const hold = await lockHold(tx, sagaId);
    if (!hold) throw new Error(`hold ${sagaId} vanished inside its transaction`);
    if (hold.status === 'HELD') {
      await applyToStock(tx, hold.lines, { onHand: 0, reserved: -1 }, 'released', 1);
      await tx.stockHold.update({ where: { sagaId }, data: { status: 'RELEASED', releaseReason: reason } });
    } else if (hold.status === 'COMMITTED') {
      await applyToStock(tx, hold.lines, { onHand: 1, reserved: 0 }, 'adjusted', 1);
      await tx.stockHold.update({ where: { sagaId }, data: { status: 'RETURNED', releaseReason: reason } });
    } else {
      return hold;
    }
    return requireHold(tx, sagaId);
  }, TX_OPTIONS);
}

/** HELD -> COMMITTED: the units leave on hand and reserved alike. Any other state is returned as it is. */
export async function commitStock(prisma: InventoryPrisma, sagaId: string): Promise<StockHoldValue> {
  return prisma.$transaction(async (tx) => {
    const hold = await lockHold(tx, sagaId);
    if (!hold) throw notFound('StockHold', sagaId);
    if (hold.status !== 'HELD') return hold;
    await applyToStock(tx, hold.lines, { onHand: -1, reserved: -1 }, 'committed', -1);
    await tx.stockHold.update({ where: { sagaId }, data: { status: 'COMMITTED' } });
    return requireHold(tx, sagaId);
  }, TX_OPTIONS);
}
