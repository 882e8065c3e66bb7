import { fetchChildPages, readRows, rowsByKey } from '../../../lib/db/index.ts';
import { pageKey, type PageRequest } from '../../../lib/graphql/index.ts';
import { groupLoader, loaderFamily, uniqueLoader } from '../../../lib/loaders.ts';
import type { CategoryRecord, ProductRecord, ProductsPrisma } from './db.ts';

type Ranked = ProductRecord & { parentId: string };

export function createLoaders(prisma: ProductsPrisma) {
  return {
    // The hottest loader (every plan's product entities): raw SQL, see rowsByKey.
    productById: uniqueLoader(
      (ids: readonly string[]) => rowsByKey<ProductRecord>(prisma, { table: '"Product"', column: '"id"' }, ids),
      (product) => product.id,
    ),
    categoryById: uniqueLoader(
      (ids: readonly string[]) => rowsByKey<CategoryRecord>(prisma, { table: '"Category"', column: '"id"' }, ids),
      (category) => category.id,
    ),
    productPageByCategory: loaderFamily(
      (page: PageRequest) =>
        groupLoader(
          (categoryIds: readonly string[]) =>
            fetchChildPages<ProductRecord>(
              prisma,
              { table: '"Product"', parentColumn: '"categoryId"' },
              categoryIds,
              page,
            ),
          (row) => row.parentId,
        ),
      pageKey,
    ),
    /** Products per category, one GROUP BY for the batch; raw SQL, the count Prisma's groupBy gave. */
    productCountByCategory: uniqueLoader(
      (categoryIds: readonly string[]) =>
        readRows<{ categoryId: string; count: number }>(
          prisma,
          'SELECT "categoryId", count(*)::int AS "count" FROM "Product" WHERE "categoryId" = ANY($1::uuid[]) GROUP BY "categoryId"',
          categoryIds,
        ),
      (row) => row.categoryId,
    ),
    favouriteCategoryByUser: uniqueLoader(
      (userIds: readonly string[]) =>
        readRows<{ userId: string; categoryId: string }>(
          prisma,
          `SELECT DISTINCT ON ("userId") "userId", "categoryId" FROM "UserCategoryAffinity"
           WHERE "userId" = ANY($1::uuid[]) AND "score" > 0
           ORDER BY "userId", "score" DESC, "categoryId"`,
          userIds,
        ),
      (row) => row.userId,
    ),
    recommendationsByUser: loaderFamily(
      (first: number) =>
        groupLoader(
          (userIds: readonly string[]) => recommend(prisma, userIds, first),
          (row) => row.parentId,
        ),
      String,
    ),
  };
}

/**
 * For each user, the best sellers of the categories they buy most, then best sellers overall: one
 * statement for the whole batch, from data this service owns (sales and category affinity).
 */
function recommend(prisma: ProductsPrisma, userIds: readonly string[], first: number): Promise<Ranked[]> {
  return readRows<Ranked>(
    prisma,
    `SELECT u."parentId", r.* FROM unnest($1::uuid[]) AS u("parentId")
     CROSS JOIN LATERAL (
       SELECT p.* FROM "Product" p
       LEFT JOIN "UserCategoryAffinity" a ON a."userId" = u."parentId" AND a."categoryId" = p."categoryId"
       LEFT JOIN "ProductSales" s ON s."productId" = p."id"
       ORDER BY COALESCE(a."score", 0) DESC, COALESCE(s."unitsSold", 0) DESC, p."id"
       LIMIT $2
     ) r`,
    userIds,
    first,
  );
}

export type Loaders = ReturnType<typeof createLoaders>;
