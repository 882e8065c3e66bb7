import { startServiceEvents } from '../../../../lib/events/index.ts';
import type { RunningWorkers, WorkerDeps } from '../../../../lib/subgraph/index.ts';
import type { InventoryPrisma } from '../db.ts';

/** Inventory publishes `stock.changed` through its outbox and consumes nothing yet. */
export function startInventoryWorkers({ prisma, logger, env }: WorkerDeps<InventoryPrisma>): Promise<RunningWorkers> {
  return startServiceEvents({ service: 'inventory', db: prisma, logger, env, relay: true });
}
