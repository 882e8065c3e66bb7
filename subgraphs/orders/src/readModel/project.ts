import { insertInChunks } from '../../../../lib/seed/index.ts';
import type { OrdersDb, OrdersTx } from '../db.ts';
import type { SagaStepView, SagaView, StreamView } from './fold.ts';

function stepRow(sagaId: string, step: SagaStepView) {
  return {
    sagaId,
    name: step.name,
    position: step.position,
    status: step.status,
    attempts: step.attempts,
    at: step.at,
    error: step.error,
  };
}

function sagaRow(saga: SagaView) {
  return {
    id: saga.id,
    orderId: saga.orderId,
    kind: saga.kind,
    state: saga.state,
    reason: saga.reason,
    deadline: saga.deadline,
    createdAt: saga.createdAt,
    updatedAt: saga.updatedAt,
  };
}

/**
 * Brings the read model from `before` to `after` (the same stream, after an append), inside the
 * append's transaction: readers never see an event without its effect, nor the reverse. Only what
 * changed is written: a step append touches one saga and one or two step rows.
 */
export async function projectChange(tx: OrdersTx, before: StreamView, after: StreamView): Promise<void> {
  const { order, saga } = after;
  if (order && order !== before.order) {
    await tx.order.upsert({
      where: { id: order.id },
      create: order,
      update: { status: order.status, statusReason: order.statusReason, updatedAt: order.updatedAt },
    });
    if (!before.order) await tx.orderItem.createMany({ data: after.items, skipDuplicates: true });
  }
  if (saga && saga !== before.saga) {
    const row = sagaRow(saga);
    await tx.saga.upsert({
      where: { id: saga.id },
      create: row,
      update: { state: row.state, reason: row.reason, updatedAt: row.updatedAt },
    });
    const previous = new Map(before.saga?.steps.map((s) => [s.name, s]));
    for (const step of saga.steps) {
      if (previous.get(step.name) === step) continue;
      const stepValues = stepRow(saga.id, step);
      await tx.sagaStep.upsert({
        where: { sagaId_name: { sagaId: saga.id, name: step.name } },
        create: stepValues,
        update: stepValues,
      });
    }
  }
}

export interface WrittenRows {
  orders: number;
  orderItems: number;
  sagas: number;
  sagaSteps: number;
}

/**
 * Writes whole streams' rows in bulk (the rebuild and the seed). Rows already present are kept, so
 * running it twice writes nothing the second time.
 */
export async function writeViews(db: OrdersDb, views: readonly StreamView[]): Promise<WrittenRows> {
  const orders = views.flatMap((v) => (v.order ? [v.order] : []));
  const sagas = views.flatMap((v) => (v.saga ? [v.saga] : []));
  return {
    orders: await insertInChunks(orders, (chunk) => db.order.createMany({ data: chunk, skipDuplicates: true })),
    orderItems: await insertInChunks(
      views.flatMap((v) => v.items),
      (chunk) => db.orderItem.createMany({ data: chunk, skipDuplicates: true }),
    ),
    sagas: await insertInChunks(sagas.map(sagaRow), (chunk) =>
      db.saga.createMany({ data: chunk, skipDuplicates: true }),
    ),
    sagaSteps: await insertInChunks(
      sagas.flatMap((saga) => saga.steps.map((step) => stepRow(saga.id, step))),
      (chunk) => db.sagaStep.createMany({ data: chunk, skipDuplicates: true }),
    ),
  };
}
