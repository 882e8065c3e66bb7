import type { Logger } from '../observability/index.ts';
import type { DomainEvent } from './envelope.ts';
import { relayOutboxBatch, type EventDatabase } from './outbox.ts';

export interface OutboxRelayOptions {
  db: EventDatabase;
  publish: (events: DomainEvent[]) => Promise<void>;
  batchSize?: number;
  /** Pause when the outbox is drained; a full batch is followed by the next at once. */
  pollMs?: number;
  logger: Logger;
}

export interface RunningRelay {
  /** Events this relay has published so far. */
  readonly published: number;
  stop(): Promise<void>;
}

/** Polls the service's outbox and publishes what is committed there, until stopped. */
export function startOutboxRelay(options: OutboxRelayOptions): RunningRelay {
  const batchSize = options.batchSize ?? 100;
  const pollMs = options.pollMs ?? 200;
  let published = 0;
  let stopped = false;
  let wake: (() => void) | null = null;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const loop = (async () => {
    while (!stopped) {
      try {
        const count = await relayOutboxBatch(options.db, batchSize, options.publish);
        published += count;
        if (count < batchSize) await pause(pollMs);
      } catch (error) {
        if (stopped) break;
        options.logger.error({ err: error }, 'outbox relay failed; retrying');
        await pause(Math.max(pollMs, 1000));
      }
    }
  })();

  return {
    get published() {
      return published;
    },
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
