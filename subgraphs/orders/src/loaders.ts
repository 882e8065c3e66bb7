import { fetchChildPages, readRows } from '../../../lib/db/index.ts';
import { pageKey, type PageRequest } from '../../../lib/graphql/index.ts';
import { groupLoader, loaderFamily, uniqueLoader } from '../../../lib/loaders.ts';
import { cancellationIdOf } from './checkout/cancelOrder.ts';
import {
  TX_OPTIONS,
  type OrderItemRecord,
  type OrderRecord,
  type OrdersPrisma,
  type OrderStatus,
  type SagaRecord,
  type SagaStepRecord,
} from './db.ts';

const DAY_MS = 86_400_000;
/** Orders that count as spending: paid and not cancelled. */
const COMPLETED: OrderStatus[] = ['CONFIRMED', 'SHIPPED', 'DELIVERED'];

/**
 * Orders with their checkout and cancellation sagas and the sagas' steps, read in one snapshot (a
 * REPEATABLE READ transaction of three statements): the saga runner changes an order's status and
 * its saga in one transaction, so a read between them must not see one changed and not the other
 * (`status: PENDING` beside `saga.state: COMPENSATED`).
 */
async function ordersWithSagas(prisma: OrdersPrisma, ids: readonly string[]) {
  const sagaIds = ids.flatMap((id) => [id, cancellationIdOf(id)]);
  const [orders, sagas, steps] = await prisma.$transaction(
    [
      prisma.order.findMany({ where: { id: { in: [...ids] } } }),
      prisma.saga.findMany({ where: { id: { in: sagaIds } } }),
      prisma.sagaStep.findMany({
        where: { sagaId: { in: sagaIds } },
        orderBy: [{ sagaId: 'asc' }, { position: 'asc' }],
      }),
    ],
    // A read waits for a connection as long as any statement would (Prisma's default is 2 s for a transaction).
    { ...TX_OPTIONS, isolationLevel: 'RepeatableRead' },
  );
  return { orders, sagaIds, sagas, steps };
}

export function createLoaders(prisma: OrdersPrisma) {
  const loaders = {
    /** Orders by id; their sagas and steps come in the same snapshot, primed into the loaders below. */
    orderById: uniqueLoader(
      async (ids: readonly string[]) => {
        const { orders, sagaIds, sagas, steps } = await ordersWithSagas(prisma, ids);
        const sagaById = new Map<string, SagaRecord>(sagas.map((saga) => [saga.id, saga]));
        const stepsBySaga = new Map<string, SagaStepRecord[]>(sagaIds.map((id) => [id, []]));
        for (const step of steps) stepsBySaga.get(step.sagaId)?.push(step);
        for (const id of sagaIds) {
          loaders.sagaById.clear(id).prime(id, sagaById.get(id) ?? null);
          loaders.stepsBySaga.clear(id).prime(id, stepsBySaga.get(id) ?? []);
        }
        return orders;
      },
      (order) => order.id,
    ),
    // Read directly (readRows), as the dashboard's other hot reads: Prisma's query building and
    // result mapping were the bulk of this service's CPU there. test/raw-loaders.test.ts holds each
    // to what the Prisma call it replaced gives.
    itemsByOrder: groupLoader(
      (orderIds: readonly string[]) =>
        readRows<OrderItemRecord>(
          prisma,
          'SELECT * FROM "OrderItem" WHERE "orderId" = ANY($1::uuid[]) ORDER BY "orderId" ASC, "position" ASC',
          orderIds,
        ),
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
          (userIds: readonly string[]) =>
            // `createdAt` is a timestamp without time zone holding UTC (as Prisma writes it): the bound
            // is given the same way. A sum of int4 is int8 in Postgres; float8 keeps it a number (exact
            // to 2^53 cents) as Prisma's `_sum` of an Int column is.
            readRows<{ userId: string; orderCount: number; totalCents: number }>(
              prisma,
              `SELECT "userId", COUNT(*)::int AS "orderCount", COALESCE(SUM("totalCents"), 0)::float8 AS "totalCents"
               FROM "Order" WHERE "userId" = ANY($1::uuid[]) AND "status"::text = ANY($2::text[])
               AND "createdAt" >= $3::timestamp GROUP BY "userId"`,
              userIds,
              COMPLETED,
              new Date(Date.now() - days * DAY_MS).toISOString().slice(0, -1),
            ),
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
      (userIds: readonly string[]) =>
        readRows<{ userId: string; count: number }>(
          prisma,
          'SELECT "userId", COUNT(*)::int AS "count" FROM "Order" WHERE "userId" = ANY($1::uuid[]) GROUP BY "userId"',
          userIds,
        ),
      (row) => row.userId,
    ),
  };
  return loaders;
}

export type Loaders = ReturnType<typeof createLoaders>;
