import { z } from 'zod';
import type { Logger } from '../observability/index.ts';
import type { RawSql } from './outbox.ts';

export interface EventRetention {
  /** Published outbox rows and handled inbox rows older than this are deleted. */
  retentionMs: number;
  /** How often a service prunes (also once at start). */
  intervalMs: number;
}

const shape = z.object({
  // Fractions allowed (0.5 = 30 minutes). The inbox must outlive every redelivery of an event (a
  // claim after a crash, a relay publishing twice): a pruned id would let a late duplicate run again.
  EVENTS_RETENTION_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 365)
    .default(168),
});

/** Read once per process; a bad value stops the start naming the variable. */
export function eventRetentionFromEnv(env: NodeJS.ProcessEnv = process.env): EventRetention {
  const parsed = shape.safeParse(env);
  if (!parsed.success) {
    throw new Error(
      `Invalid events configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const retentionMs = Math.round(parsed.data.EVENTS_RETENTION_HOURS * 3_600_000);
  return { retentionMs, intervalMs: Math.min(3_600_000, Math.max(1_000, Math.floor(retentionMs / 4))) };
}

const BATCH = 5_000;

/**
 * Deletes published outbox rows and inbox rows older than the retention, in batches (short
 * transactions, no long lock on a busy table). Unpublished outbox rows are never deleted, however old.
 */
export async function pruneEvents(db: RawSql, retentionMs: number): Promise<{ outbox: number; inbox: number }> {
  const cutoff = new Date(Date.now() - retentionMs);
  const drain = async (sql: string): Promise<number> => {
    let total = 0;
    for (;;) {
      const deleted = await db.$executeRawUnsafe(sql, cutoff, BATCH);
      total += deleted;
      if (deleted < BATCH) return total;
    }
  };
  const outbox = await drain(
    `DELETE FROM "OutboxEvent" WHERE "id" IN (SELECT "id" FROM "OutboxEvent"
       WHERE "publishedAt" IS NOT NULL AND "publishedAt" < $1::timestamptz LIMIT $2)`,
  );
  const inbox = await drain(
    `DELETE FROM "InboxEvent" WHERE "id" IN (SELECT "id" FROM "InboxEvent" WHERE "handledAt" < $1::timestamptz LIMIT $2)`,
  );
  return { outbox, inbox };
}

export interface RunningPruner {
  stop(): Promise<void>;
}

/** Prunes at start and every `intervalMs` until stopped; a failure is logged and retried next time. */
export function startEventPruner(options: { db: RawSql; retention: EventRetention; logger: Logger }): RunningPruner {
  const { db, retention, logger } = options;
  let running: Promise<void> = Promise.resolve();
  const run = () => {
    running = pruneEvents(db, retention.retentionMs).then(
      (deleted) => {
        if (deleted.outbox || deleted.inbox) logger.info(deleted, 'pruned old outbox and inbox rows');
      },
      (error: unknown) => logger.warn({ err: error }, 'pruning outbox and inbox failed; retrying later'),
    );
  };
  run();
  const timer = setInterval(run, retention.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
