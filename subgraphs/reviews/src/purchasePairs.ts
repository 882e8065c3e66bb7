import type { RawSql } from '../../../lib/events/index.ts';

/**
 * Serialises, per (user, product), the two writers of Review.verifiedPurchase: a new review (which
 * reads Purchase) and a new purchase (which marks existing reviews). Without it, under READ
 * COMMITTED each could miss the other's uncommitted row and leave a bought product's review
 * unverified. A transaction-scoped advisory lock, released at commit or rollback. Callers taking
 * several lock them in sorted order, so two such transactions cannot deadlock.
 */
export async function lockPurchasePair(tx: RawSql, userId: string, productId: string): Promise<void> {
  await tx.$executeRawUnsafe(
    `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
    `purchase:${userId}:${productId}`,
  );
}
