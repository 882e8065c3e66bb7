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

/** The catalog filter as a Prisma `where`, refusing values that cannot match anything sensible. */
export function productWhere(filter: ProductFilter | null | undefined): Prisma.ProductWhereInput {
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
    ...(search
      ? {
          OR: [
            { name: { contains: search, mode: 'insensitive' } },
            { description: { contains: search, mode: 'insensitive' } },
            { sku: { contains: search, mode: 'insensitive' } },
          ],
        }
      : {}),
    ...(filter.category ? { category: { slug: filter.category } } : {}),
    ...(min !== undefined || max !== undefined ? { priceCents: { gte: min, lte: max } } : {}),
  };
}

/** Keyset condition for lists ordered by (createdAt DESC, id DESC). */
export function afterCursor(after: Cursor | null): Prisma.ProductWhereInput {
  if (!after) return {};
  return { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] };
}
