import { fetchChildPages, type ChildList } from '../../../lib/db/index.ts';
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
    /** Count and mean rating per product, one GROUP BY for the batch. */
    statsByProduct: uniqueLoader(
      async (productIds: readonly string[]) =>
        (
          await prisma.review.groupBy({
            by: ['productId'],
            where: { productId: { in: [...productIds] } },
            _count: { _all: true },
            _avg: { rating: true },
          })
        ).map((g) => ({ productId: g.productId, count: g._count._all, averageRating: g._avg.rating })),
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
