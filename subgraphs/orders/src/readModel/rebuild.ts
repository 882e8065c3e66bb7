import type { OrdersDb, OrdersPrisma } from '../db.ts';
import { readStreams } from '../eventStore/eventStore.ts';
import { fold } from './fold.ts';
import { writeViews, type WrittenRows } from './project.ts';

const STREAMS_PER_BATCH = 500;

/** Folds the given streams from the log and writes their rows (those missing only). */
export async function projectStreams(db: OrdersDb, streamIds: readonly string[]): Promise<WrittenRows> {
  const total: WrittenRows = { orders: 0, orderItems: 0, sagas: 0, sagaSteps: 0 };
  for (let i = 0; i < streamIds.length; i += STREAMS_PER_BATCH) {
    const streams = await readStreams(db, streamIds.slice(i, i + STREAMS_PER_BATCH));
    const written = await writeViews(
      db,
      [...streams].map(([id, events]) => fold(id, events)),
    );
    for (const key of Object.keys(total) as Array<keyof WrittenRows>) total[key] += written[key];
  }
  return total;
}

export interface RebuildReport extends WrittenRows {
  streams: number;
}

/**
 * Throws the read model away and projects it again from the log, in one transaction: readers see the
 * old rows until it commits, never an empty table. The SHARE lock on the log holds appends (a saga
 * step waits) for the duration, so nothing is appended that the rebuild would miss.
 */
export async function rebuildReadModel(prisma: OrdersPrisma): Promise<RebuildReport> {
  return prisma.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe('LOCK TABLE "OrderEvent" IN SHARE MODE');
      await tx.$executeRawUnsafe('TRUNCATE "SagaStep", "Saga", "OrderItem", "Order"');
      const ids = (
        await tx.$queryRawUnsafe<Array<{ streamId: string }>>(
          'SELECT DISTINCT "streamId"::text AS "streamId" FROM "OrderEvent" ORDER BY 1',
        )
      ).map((r) => r.streamId);
      return { streams: ids.length, ...(await projectStreams(tx, ids)) };
    },
    { maxWait: 30_000, timeout: 30 * 60_000 },
  );
}
