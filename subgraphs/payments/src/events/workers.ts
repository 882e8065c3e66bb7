import { startServiceEvents } from '../../../../lib/events/index.ts';
import type { RunningWorkers, WorkerDeps } from '../../../../lib/subgraph/index.ts';
import type { PaymentsPrisma } from '../db.ts';

/** Payments publishes `payment.refunded` through its outbox and consumes nothing yet. */
export function startPaymentsWorkers({ prisma, logger, env }: WorkerDeps<PaymentsPrisma>): Promise<RunningWorkers> {
  return startServiceEvents({ service: 'payments', db: prisma, logger, env, relay: true });
}
