import { fetchChildPages } from '../../../lib/db/index.ts';
import { pageKey, type PageRequest } from '../../../lib/graphql/index.ts';
import { groupLoader, loaderFamily, uniqueLoader } from '../../../lib/loaders.ts';
import type { OrderRecord, OrdersPrisma, OrderStatus } from './db.ts';

const DAY_MS = 86_400_000;
/** Orders that count as spending: paid and not cancelled. */
const COMPLETED: OrderStatus[] = ['CONFIRMED', 'SHIPPED', 'DELIVERED'];

export function createLoaders(prisma: OrdersPrisma) {
  return {
    orderById: uniqueLoader(
      (ids: readonly string[]) => prisma.order.findMany({ where: { id: { in: [...ids] } } }),
      (order) => order.id,
    ),
    itemsByOrder: groupLoader(
      (orderIds: readonly string[]) =>
        prisma.orderItem.findMany({
          where: { orderId: { in: [...orderIds] } },
          orderBy: [{ orderId: 'asc' }, { position: 'asc' }],
        }),
      (item) => item.orderId,
    ),
    orderPageByUser: loaderFamily(
      (page: PageRequest) =>
        groupLoader(
          (userIds: readonly string[]) =>
            fetchChildPages<OrderRecord>(prisma, { table: '"Order"', parentColumn: '"userId"' }, userIds, page),
          (row) => row.parentId,
        ),
      pageKey,
    ),
    /** Orders that went through, per user, over the last `days` days: one GROUP BY per batch. */
    spendingByUser: loaderFamily(
      (days: number) =>
        uniqueLoader(
          async (userIds: readonly string[]) =>
            (
              await prisma.order.groupBy({
                by: ['userId'],
                where: {
                  userId: { in: [...userIds] },
                  status: { in: COMPLETED },
                  createdAt: { gte: new Date(Date.now() - days * DAY_MS) },
                },
                _count: { _all: true },
                _sum: { totalCents: true },
              })
            ).map((g) => ({ userId: g.userId, orderCount: g._count._all, totalCents: g._sum.totalCents ?? 0 })),
          (row) => row.userId,
        ),
      String,
    ),
    sagaById: uniqueLoader(
      (ids: readonly string[]) => prisma.saga.findMany({ where: { id: { in: [...ids] } } }),
      (saga) => saga.id,
    ),
    stepsBySaga: groupLoader(
      (sagaIds: readonly string[]) =>
        prisma.sagaStep.findMany({
          where: { sagaId: { in: [...sagaIds] } },
          orderBy: [{ sagaId: 'asc' }, { position: 'asc' }],
        }),
      (step) => step.sagaId,
    ),
    orderCountByUser: uniqueLoader(
      async (userIds: readonly string[]) =>
        (
          await prisma.order.groupBy({
            by: ['userId'],
            where: { userId: { in: [...userIds] } },
            _count: { _all: true },
          })
        ).map((g) => ({
          userId: g.userId,
          count: g._count._all,
        })),
      (row) => row.userId,
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
