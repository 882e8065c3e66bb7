import { startServiceEvents } from '../../../../lib/events/index.ts';
import type { RunningWorkers, WorkerDeps } from '../../../../lib/subgraph/index.ts';
import type { ProductsPrisma } from '../db.ts';
import { productsEventHandlers } from './handlers.ts';

/** Products consumes order events into its ranking read models; it publishes none yet. */
export function startProductsWorkers({ prisma, logger, env }: WorkerDeps<ProductsPrisma>): Promise<RunningWorkers> {
  return startServiceEvents({ service: 'products', db: prisma, logger, env, handlers: productsEventHandlers });
}
