import { startServiceEvents } from '../../../../lib/events/index.ts';
import type { RunningWorkers, WorkerDeps } from '../../../../lib/subgraph/index.ts';
import type { UsersPrisma } from '../db.ts';

/** Users publishes `user.updated` (profile changes) through its outbox; it consumes nothing. */
export function startUsersWorkers({ prisma, logger, env }: WorkerDeps<UsersPrisma>): Promise<RunningWorkers> {
  return startServiceEvents({ service: 'users', db: prisma, logger, env, relay: true });
}
