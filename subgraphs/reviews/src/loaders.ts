import { fetchChildPages, readRows, type ChildList } from '../../../lib/db/index.ts';
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
    reviewById: uniqueLoader(
      (ids: readonly string[]) => prisma.review.findMany({ where: { id: { in: [...ids] } } }),
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
    countByAuthor: uniqueLoader(
      async (authorIds: readonly string[]) =>
        (
          await prisma.review.groupBy({
            by: ['authorId'],
            where: { authorId: { in: [...authorIds] } },
            _count: { _all: true },
          })
        ).map((g) => ({
          authorId: g.authorId,
          count: g._count._all,
        })),
      (row) => row.authorId,
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
