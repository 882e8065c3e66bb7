import { fetchChildPages, readRows, rowsByKey, type ChildList } from '../../../lib/db/index.ts';
import { pageKey, type PageRequest } from '../../../lib/graphql/index.ts';
import { groupLoader, loaderFamily, uniqueLoader } from '../../../lib/loaders.ts';
import type { ReviewRecord, ReviewsPrisma } from './db.ts';

const BY_PRODUCT: ChildList = { table: '"Review"', parentColumn: '"productId"' };
const BY_AUTHOR: ChildList = { table: '"Review"', parentColumn: '"authorId"' };

export function createLoaders(prisma: ReviewsPrisma) {
  const pagesOf = (list: ChildList) =>
    loaderFamily(
      (page: PageRequest) =>
        groupLoader(
          (parentIds: readonly string[]) => fetchChildPages<ReviewRecord>(prisma, list, parentIds, page),
          (row) => row.parentId,
        ),
      pageKey,
    );
  return {
    // Read directly (rowsByKey), as the other hot reads here; callers pass valid uuids only.
    reviewById: uniqueLoader(
      (ids: readonly string[]) => rowsByKey<ReviewRecord>(prisma, { table: '"Review"', column: '"id"' }, ids),
      (review) => review.id,
    ),
    reviewPageByProduct: pagesOf(BY_PRODUCT),
    reviewPageByAuthor: pagesOf(BY_AUTHOR),
    /**
     * Count and mean rating per product, one GROUP BY for the batch; raw SQL (every catalog row asks
     * for both), the same figures as Prisma's groupBy with `_count` and `_avg`.
     */
    statsByProduct: uniqueLoader(
      (productIds: readonly string[]) =>
        readRows<{ productId: string; count: number; averageRating: number | null }>(
          prisma,
          `SELECT "productId", count(*)::int AS "count", avg("rating")::float8 AS "averageRating"
             FROM "Review" WHERE "productId" = ANY($1::uuid[]) GROUP BY "productId"`,
          productIds,
        ),
      (row) => row.productId,
    ),
    /** Reviews per author, one GROUP BY for the batch; raw SQL, the count Prisma's groupBy gave. */
    countByAuthor: uniqueLoader(
      (authorIds: readonly string[]) =>
        readRows<{ authorId: string; count: number }>(
          prisma,
          'SELECT "authorId", count(*)::int AS "count" FROM "Review" WHERE "authorId" = ANY($1::uuid[]) GROUP BY "authorId"',
          authorIds,
        ),
      (row) => row.authorId,
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
