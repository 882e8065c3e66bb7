import { fetchChildPages } from '../../../lib/db/index.ts';
import { pageKey, type PageRequest } from '../../../lib/graphql/index.ts';
import { groupLoader, loaderFamily, uniqueLoader } from '../../../lib/loaders.ts';
import type { OrderRecord, OrdersPrisma } from './db.ts';

export function createLoaders(prisma: OrdersPrisma) {
  return {
    orderById: uniqueLoader(
      (ids: readonly string[]) => prisma.order.findMany({ where: { id: { in: [...ids] } } }),
      (order) => order.id,
    ),
    itemsByOrder: groupLoader(
      (orderIds: readonly string[]) => prisma.orderItem.findMany({ where: { orderId: { in: [...orderIds] } }, orderBy: [{ orderId: 'asc' }, { position: 'asc' }] }),
      (item) => item.orderId,
    ),
    orderPageByUser: loaderFamily(
      (page: PageRequest) =>
        groupLoader(
          (userIds: readonly string[]) => fetchChildPages<OrderRecord>(prisma, { table: '"Order"', parentColumn: '"userId"' }, userIds, page),
          (row) => row.parentId,
        ),
      pageKey,
    ),
    orderCountByUser: uniqueLoader(
      async (userIds: readonly string[]) =>
        (await prisma.order.groupBy({ by: ['userId'], where: { userId: { in: [...userIds] } }, _count: { _all: true } })).map((g) => ({
          userId: g.userId,
          count: g._count._all,
        })),
      (row) => row.userId,
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
