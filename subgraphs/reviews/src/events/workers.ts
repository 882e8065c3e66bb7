import { startServiceEvents } from '../../../../lib/events/index.ts';
import type { RunningWorkers, WorkerDeps } from '../../../../lib/subgraph/index.ts';
import type { ReviewsPrisma } from '../db.ts';
import { reviewsEventHandlers } from './handlers.ts';

/** Reviews consumes `order.confirmed` and `order.cancelled` (verified purchases) and publishes `review.created` through its outbox. */
export function startReviewsWorkers({ prisma, logger, env }: WorkerDeps<ReviewsPrisma>): Promise<RunningWorkers> {
  return startServiceEvents({
    service: 'reviews',
    db: prisma,
    logger,
    env,
    relay: true,
    handlers: reviewsEventHandlers,
  });
}
