import type { DomainEvent, RawSql } from '../../../../lib/events/index.ts';

/**
 * Takes a cancelled (refunded) order's units back out of the ranking read models `order.confirmed`
 * put them in: units sold per product and the buyer's category affinity, never below zero. A
 * cancelled order ranks nothing, so cancelling cannot inflate best sellers or recommendations.
 * Runs inside the inbox transaction, so a redelivered event subtracts nothing more.
 */
export async function applyOrderCancelled(event: DomainEvent<'order.cancelled'>, tx: RawSql): Promise<void> {
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
