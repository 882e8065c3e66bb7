import { badUserInput } from '../../../lib/errors.ts';
import type { Cursor } from '../../../lib/graphql/index.ts';
import type { Prisma } from './db.ts';
import type { ProductFilter } from './__generated__/resolvers-types.ts';

const MAX_SEARCH_LENGTH = 200;
const MAX_PRICE = 1_000_000;

function priceCents(value: number | null | undefined, argumentName: string): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (!Number.isFinite(value) || value < 0 || value > MAX_PRICE) {
    throw badUserInput(`"${argumentName}" must be between 0 and ${MAX_PRICE}`, argumentName);
  }
  return Math.round(value * 100);
}

/** What a catalog filter asks for, checked: values that cannot match anything sensible are refused. */
export interface ProductConditions {
  search?: string;
  categorySlug?: string;
  minCents?: number;
  maxCents?: number;
}

export function productConditions(filter: ProductFilter | null | undefined): ProductConditions {
  if (!filter) return {};
  const min = priceCents(filter.minPrice, 'filter.minPrice');
  const max = priceCents(filter.maxPrice, 'filter.maxPrice');
  if (min !== undefined && max !== undefined && min > max) {
    throw badUserInput('"filter.minPrice" must not be above "filter.maxPrice"', 'filter.minPrice');
  }
  const search = filter.search?.trim();
  if (search && search.length > MAX_SEARCH_LENGTH) {
    throw badUserInput(`"filter.search" must be at most ${MAX_SEARCH_LENGTH} characters`, 'filter.search');
  }
  return {
    ...(search ? { search } : {}),
    ...(filter.category ? { categorySlug: filter.category } : {}),
    ...(min !== undefined ? { minCents: min } : {}),
    ...(max !== undefined ? { maxCents: max } : {}),
  };
}

/** The conditions as a Prisma `where`. */
export function prismaWhere(conditions: ProductConditions): Prisma.ProductWhereInput {
  const { search, categorySlug, minCents, maxCents } = conditions;
  return {
    ...(search
      ? {
          OR: [
            { name: { contains: search, mode: 'insensitive' } },
            { description: { contains: search, mode: 'insensitive' } },
            { sku: { contains: search, mode: 'insensitive' } },
          ],
        }
      : {}),
    ...(categorySlug ? { category: { slug: categorySlug } } : {}),
    ...(minCents !== undefined || maxCents !== undefined ? { priceCents: { gte: minCents, lte: maxCents } } : {}),
  };
}

/**
 * The same conditions (and the keyset cursor) as a SQL `WHERE` over "Product", for the catalog's
 * direct read; null for a text search, whose matching (Prisma's `contains`, insensitive) stays Prisma's.
 */
export function productSqlWhere(
  conditions: ProductConditions,
  after: Cursor | null,
): { where: string; params: unknown[] } | null {
  if (conditions.search) return null;
  const clauses: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown, type: string) => {
    params.push(value);
    return `$${params.length}::${type}`;
  };
  if (conditions.categorySlug)
    clauses.push(
      `"categoryId" IN (SELECT "id" FROM "Category" WHERE "slug" = ${param(conditions.categorySlug, 'text')})`,
    );
  if (conditions.minCents !== undefined) clauses.push(`"priceCents" >= ${param(conditions.minCents, 'int')}`);
  if (conditions.maxCents !== undefined) clauses.push(`"priceCents" <= ${param(conditions.maxCents, 'int')}`);
  if (after)
    clauses.push(
      `("createdAt", "id") < (${param(after.createdAt.toISOString(), 'timestamp')}, ${param(after.id, 'uuid')})`,
    );
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

/** Keyset condition for lists ordered by (createdAt DESC, id DESC). */
export function afterCursor(after: Cursor | null): Prisma.ProductWhereInput {
  if (!after) return {};
  return { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] };
}
