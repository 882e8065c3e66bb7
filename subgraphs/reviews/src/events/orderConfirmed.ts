import type { DomainEvent, RawSql } from '../../../../lib/events/index.ts';
import { lockPurchasePair } from '../purchasePairs.ts';

/**
 * Records what the buyer bought (one row per order and product) and marks the
 * buyer's existing reviews of those products as verified purchases, unless the order's
 * `order.cancelled` came first (its CancelledOrder tombstone; the two travel on separate streams).
 * Under the per-pair locks the cancel takes too. Runs inside the inbox transaction, so a redelivered
 * event changes nothing.
 */
export async function applyOrderConfirmed(event: DomainEvent<'order.confirmed'>, tx: RawSql): Promise<void> {
  const { userId, orderId, confirmedAt } = event.payload;
  const buyer = userId.toLowerCase();
  const productIds = [...new Set(event.payload.items.map((item) => item.productId.toLowerCase()))].sort();
  for (const productId of productIds) await lockPurchasePair(tx, buyer, productId);
  const cancelled = await tx.$queryRawUnsafe<unknown[]>(
    `SELECT 1 FROM "CancelledOrder" WHERE "orderId" = $1::uuid`,
    orderId.toLowerCase(),
  );
  if (cancelled.length > 0) return;
  await tx.$executeRawUnsafe(
    `INSERT INTO "Purchase" ("userId", "productId", "orderId", "purchasedAt")
     SELECT $1::uuid, p, $2::uuid, $3::timestamptz AT TIME ZONE 'UTC' FROM unnest($4::uuid[]) AS p
     ON CONFLICT ("userId", "productId", "orderId") DO NOTHING`,
    buyer,
    orderId.toLowerCase(),
    confirmedAt,
    productIds,
  );
  await tx.$executeRawUnsafe(
    `UPDATE "Review" SET "verifiedPurchase" = true, "updatedAt" = CURRENT_TIMESTAMP
     WHERE "authorId" = $1::uuid AND "productId" = ANY($2::uuid[]) AND NOT "verifiedPurchase"`,
    buyer,
    productIds,
  );
}
