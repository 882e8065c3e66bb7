import { badUserInput, notFound } from '../../../../lib/errors.ts';
import { MAX_PAGE_SIZE, pageRequest, parseId, toConnection } from '../../../../lib/graphql/index.ts';
import type { QueryResolvers } from '../__generated__/resolvers-types.ts';
import { readRows } from '../../../../lib/db/index.ts';
import type { ProductRecord } from '../db.ts';
import { afterCursor, prismaWhere, productConditions, productSqlWhere } from '../filters.ts';

export const Query: QueryResolvers = {
  async product(_parent, args, { loaders }) {
    const id = parseId(args.id);
    const product = await loaders.productById.load(id);
    if (!product) throw notFound('Product', id);
    return product;
  },
  async products(_parent, args, { prisma }) {
    const page = pageRequest(args);
    const conditions = productConditions(args.filter);
    // Every catalog page and the deep query come here: without a text search, two direct reads
    // (the page and, when asked, the count) instead of Prisma's findMany and count.
    const direct = productSqlWhere(conditions, page.after);
    if (direct) {
      const count = productSqlWhere(conditions, null);
      const rows = await readRows<ProductRecord>(
        prisma,
        `SELECT * FROM "Product" ${direct.where} ORDER BY "createdAt" DESC, "id" DESC LIMIT ${page.first + 1}`,
        ...direct.params,
      );
      return {
        ...toConnection(rows, page),
        totalCount: async () =>
          (
            await readRows<{ count: number }>(
              prisma,
              `SELECT count(*)::int AS "count" FROM "Product" ${count?.where ?? ''}`,
              ...(count?.params ?? []),
            )
          )[0]?.count ?? 0,
      };
    }
    const where = prismaWhere(conditions);
    const rows = await prisma.product.findMany({
      where: { AND: [where, afterCursor(page.after)] },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: page.first + 1,
    });
    return { ...toConnection(rows, page), totalCount: () => prisma.product.count({ where }) };
  },
  categories(_parent, _args, { prisma }) {
    return prisma.category.findMany({ orderBy: { name: 'asc' } });
  },
  category(_parent, args, { prisma }) {
    return prisma.category.findUnique({ where: { slug: args.slug } });
  },
  async bestSellers(_parent, args, { prisma }) {
    const first = args.first ?? 10;
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
      throw badUserInput(`"first" must be between 1 and ${MAX_PAGE_SIZE}, got ${first}`, 'first');
    }
    return prisma.product.findMany({ orderBy: [{ sales: { unitsSold: 'desc' } }, { id: 'asc' }], take: first });
  },
};
