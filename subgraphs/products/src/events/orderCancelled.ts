import type { DomainEvent, RawSql } from '../../../../lib/events/index.ts';

/**
 * Takes a cancelled (refunded) order's units back out of the ranking read models `order.confirmed`
 * put them in: units sold per product and the buyer's category affinity, never below zero. A
 * cancelled order ranks nothing, so cancelling cannot inflate best sellers or recommendations.
 * Only an order `order.confirmed` counted is subtracted: one whose confirm has not arrived yet (the
 * two travel on separate streams) gets a CANCELLED tombstone, and its late confirm counts nothing.
 * Runs inside the inbox transaction, so a redelivered event subtracts nothing more.
 */
export async function applyOrderCancelled(event: DomainEvent<'order.cancelled'>, tx: RawSql): Promise<void> {
  const orderId = event.payload.orderId.toLowerCase();
  // The row is locked either way: a confirm of the same order waits here, then sees CANCELLED.
  const tombstone = await tx.$queryRawUnsafe<unknown[]>(
    `INSERT INTO "RankedOrder" ("orderId", "state", "updatedAt") VALUES ($1::uuid, 'CANCELLED', CURRENT_TIMESTAMP)
     ON CONFLICT ("orderId") DO NOTHING RETURNING "orderId"`,
    orderId,
  );
  if (tombstone.length > 0) return;
  const uncounted = await tx.$queryRawUnsafe<unknown[]>(
    `UPDATE "RankedOrder" SET "state" = 'CANCELLED', "updatedAt" = CURRENT_TIMESTAMP
     WHERE "orderId" = $1::uuid AND "state" = 'COUNTED' RETURNING "orderId"`,
    orderId,
  );
  if (uncounted.length === 0) return;
  const quantities = new Map<string, number>();
  for (const item of event.payload.items) {
    const productId = item.productId.toLowerCase();
    quantities.set(productId, (quantities.get(productId) ?? 0) + item.quantity);
  }
  if (quantities.size === 0) return;
  const productIds = [...quantities.keys()];
  const units = [...quantities.values()];
  await tx.$executeRawUnsafe(
    `UPDATE "ProductSales" s SET "unitsSold" = GREATEST(0, s."unitsSold" - i.qty), "updatedAt" = CURRENT_TIMESTAMP
     FROM unnest($1::uuid[], $2::int[]) AS i(pid, qty) WHERE s."productId" = i.pid`,
    productIds,
    units,
  );
  await tx.$executeRawUnsafe(
    `UPDATE "UserCategoryAffinity" a SET "score" = GREATEST(0, a."score" - c.qty), "updatedAt" = CURRENT_TIMESTAMP
     FROM (SELECT p."categoryId", SUM(i.qty)::int AS qty
           FROM unnest($1::uuid[], $2::int[]) AS i(pid, qty) JOIN "Product" p ON p."id" = i.pid
           GROUP BY p."categoryId") c
     WHERE a."userId" = $3::uuid AND a."categoryId" = c."categoryId"`,
    productIds,
    units,
    event.payload.userId,
  );
}
