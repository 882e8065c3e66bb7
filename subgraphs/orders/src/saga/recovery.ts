import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../../../lib/observability/index.ts';
import { purgeExpiredIdempotencyKeys } from '../checkout/idempotency.ts';
import type { OrdersPrisma } from '../db.ts';
import { sagasWithoutDriver } from './lease.ts';
import type { DriveResult, SagaRunner } from './runner.ts';

export interface RecoveryWorkerDeps {
  prisma: OrdersPrisma;
  runner: SagaRunner;
  intervalMs: number;
  /** Sagas this worker drives at once: it takes no more leases than it can use, leaving the rest to other replicas. */
  capacity: number;
  logger: Logger;
}

export interface RecoveryWorker {
  /** One round, waiting for the sagas it took to finish (tests; the loop does not wait). */
  runOnce(): Promise<DriveResult[]>;
  stop(): Promise<void>;
}

/**
 * On start and every `intervalMs`: takes the sagas nobody drives (no lease, or an expired one: their
 * runner crashed or stopped) and drives each to a terminal state with its runner, whose lease keeps
 * other replicas' workers off them; sagas past their deadline are compensated by the runner's own
 * decisions. Also purges idempotency keys older than 24 h. A round finishing early wakes the next
 * one, so a backlog after a crash drains at the runner's pace rather than one round per interval.
 */
export function startRecoveryWorker(deps: RecoveryWorkerDeps): RecoveryWorker {
  const { prisma, runner, logger } = deps;
  const stop = new AbortController();
  let wake: (() => void) | null = null;

  const round = async (): Promise<Array<Promise<DriveResult>>> => {
    const purged = await purgeExpiredIdempotencyKeys(prisma);
    if (purged) logger.info({ purged }, 'purged expired idempotency keys');
    const room = deps.capacity - runner.activeCount;
    if (room <= 0) return [];
    const ids = await sagasWithoutDriver(prisma, room);
    if (ids.length) logger.info({ sagas: ids.length }, 'recovering sagas nobody drives');
    runner.metrics?.recovered(ids.length);
    return ids.map((id) =>
      runner.drive(id).then((result) => {
        wake?.();
        return result;
      }),
    );
  };

  const loop = (async () => {
    while (!stop.signal.aborted) {
      try {
        // The loop does not wait for the drives it started; a drive that fails is logged, never left unhandled.
        for (const drive of await round())
          drive.catch((error: unknown) => logger.error({ err: error }, 'saga drive failed; recovery retries it'));
      } catch (error) {
        logger.error({ err: error }, 'saga recovery round failed; retrying');
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        sleep(deps.intervalMs, undefined, { signal: stop.signal }).then(resolve, resolve);
      });
      wake = null;
    }
  })();

  return {
    async runOnce() {
      return Promise.all(await round());
    },
    async stop() {
      stop.abort();
      await loop;
    },
  };
}
