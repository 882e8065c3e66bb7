import type { DomainEvent, RawSql } from '../../../../lib/events/index.ts';
import { lockPurchasePair } from '../purchasePairs.ts';

/**
 * A cancelled (refunded) order is no purchase: its rows go, and the buyer's reviews of its products
 * stay verified only while another confirmed order of the product stands. Under the same per-pair
 * locks as a new purchase and a new review. It leaves a CancelledOrder tombstone, so a confirm
 * arriving after it (another stream) records nothing. Runs inside the inbox transaction: a redelivery is a no-op.
 */
export async function applyOrderCancelled(event: DomainEvent<'order.cancelled'>, tx: RawSql): Promise<void> {
  const buyer = event.payload.userId.toLowerCase();
  const productIds = [...new Set(event.payload.items.map((item) => item.productId.toLowerCase()))].sort();
  for (const productId of productIds) await lockPurchasePair(tx, buyer, productId);
  await tx.$executeRawUnsafe(
    `INSERT INTO "CancelledOrder" ("orderId") VALUES ($1::uuid) ON CONFLICT DO NOTHING`,
    event.payload.orderId.toLowerCase(),
  );
  await tx.$executeRawUnsafe(
    `DELETE FROM "Purchase" WHERE "userId" = $1::uuid AND "orderId" = $2::uuid`,
    buyer,
    event.payload.orderId.toLowerCase(),
  );
  await tx.$executeRawUnsafe(
    `UPDATE "Review" r SET "verifiedPurchase" = false, "updatedAt" = CURRENT_TIMESTAMP
     WHERE r."authorId" = $1::uuid AND r."productId" = ANY($2::uuid[]) AND r."verifiedPurchase"
       AND NOT EXISTS (SELECT 1 FROM "Purchase" p WHERE p."userId" = r."authorId" AND p."productId" = r."productId")`,
    buyer,
    productIds,
  );
}
