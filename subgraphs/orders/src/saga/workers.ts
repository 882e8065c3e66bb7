import { startServiceEvents } from '../../../../lib/events/index.ts';
import type { RunningWorkers, WorkerDeps } from '../../../../lib/subgraph/index.ts';
import type { OrdersPrisma } from '../db.ts';
import { acquireOrdersRuntime } from '../runtime.ts';
import { startRecoveryWorker } from './recovery.ts';

/** Orders' background work: relaying its outbox (order.confirmed, order.cancelled) and recovering sagas. */
export async function startOrdersWorkers({
  prisma,
  logger,
  env,
  metrics,
}: WorkerDeps<OrdersPrisma>): Promise<RunningWorkers> {
  // The server's runtime: one saga runner and one set of clients per process.
  const runtime = acquireOrdersRuntime({ prisma, logger, env, metrics });
  try {
    const events = await startServiceEvents({ service: 'orders', db: prisma, logger, env, relay: true });
    const recovery = startRecoveryWorker({
      prisma,
      runner: runtime.runner,
      intervalMs: runtime.config.saga.recoveryIntervalMs,
      capacity: runtime.config.saga.maxConcurrentSagas,
      logger,
    });
    return {
      async stop() {
        await recovery.stop();
        await runtime.close();
        await events.stop();
      },
    };
  } catch (error) {
    await runtime.close();
    throw error;
  }
}
