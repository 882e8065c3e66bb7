import type { DomainEvent, RawSql } from '../../../../lib/events/index.ts';

/**
 * Folds a confirmed order into the two read models products ranks with: units sold per product
 * (best sellers) and the buyer's affinity per category (recommendations, favourite category), the
 * same quantities the seed derives from the demo orders. Products this catalogue does not know are
 * skipped. Runs inside the inbox transaction, so a redelivered event adds nothing; an order whose
 * `order.cancelled` came first (its RankedOrder tombstone) or that was counted already adds nothing.
 */
export async function applyOrderConfirmed(event: DomainEvent<'order.confirmed'>, tx: RawSql): Promise<void> {
  const counted = await tx.$queryRawUnsafe<unknown[]>(
    `INSERT INTO "RankedOrder" ("orderId", "state", "updatedAt") VALUES ($1::uuid, 'COUNTED', CURRENT_TIMESTAMP)
     ON CONFLICT ("orderId") DO NOTHING RETURNING "orderId"`,
    event.payload.orderId.toLowerCase(),
  );
  if (counted.length === 0) return;
  const quantities = new Map<string, number>();
  for (const item of event.payload.items) {
    const productId = item.productId.toLowerCase();
    quantities.set(productId, (quantities.get(productId) ?? 0) + item.quantity);
  }
  const productIds = [...quantities.keys()];
  const units = [...quantities.values()];
  await tx.$executeRawUnsafe(
    `INSERT INTO "ProductSales" ("productId", "unitsSold", "updatedAt")
     SELECT p."id", i.qty, CURRENT_TIMESTAMP
     FROM unnest($1::uuid[], $2::int[]) AS i(pid, qty) JOIN "Product" p ON p."id" = i.pid
     ON CONFLICT ("productId") DO UPDATE
       SET "unitsSold" = "ProductSales"."unitsSold" + EXCLUDED."unitsSold", "updatedAt" = CURRENT_TIMESTAMP`,
    productIds,
    units,
  );
  await tx.$executeRawUnsafe(
    `INSERT INTO "UserCategoryAffinity" ("userId", "categoryId", "score", "updatedAt")
     SELECT $3::uuid, p."categoryId", SUM(i.qty)::int, CURRENT_TIMESTAMP
     FROM unnest($1::uuid[], $2::int[]) AS i(pid, qty) JOIN "Product" p ON p."id" = i.pid
     GROUP BY p."categoryId"
     ON CONFLICT ("userId", "categoryId") DO UPDATE
       SET "score" = "UserCategoryAffinity"."score" + EXCLUDED."score", "updatedAt" = CURRENT_TIMESTAMP`,
    productIds,
    units,
    event.payload.userId,
  );
}
