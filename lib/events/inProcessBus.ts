import type { Logger } from '../observability/index.ts';
import { parseEvent, type DomainEvent } from './envelope.ts';
import { deliver, type EventDelivery } from './inbox.ts';
import type { RawSql } from './outbox.ts';
import type { ConsumerStats, RunningConsumer } from './redisStreams.ts';

export interface DeadLetter {
  group: string;
  event: unknown;
  reason: string;
  deliveries: number;
}

interface Subscription {
  group: string;
  deliver(event: DomainEvent): Promise<void>;
}

export interface InProcessSubscribeOptions<TTx extends RawSql> {
  group: string;
  delivery: EventDelivery<TTx>;
  maxDeliveries: number;
  /** Pause between two deliveries of an event whose handler failed. */
  retryDelayMs?: number;
  logger: Logger;
}

/**
 * Delivery without Redis, for one process (npm start on a bare machine, tests): the relay's publish
 * waits until every subscribed group has handled or dead-lettered each event, so the outbox row is
 * marked published only after that, and a crash before it republishes to the inboxes.
 */
export class InProcessEventBus {
  readonly deadLetters: DeadLetter[] = [];
  private readonly subscriptions = new Set<Subscription>();

  async publish(events: readonly DomainEvent[]): Promise<void> {
    for (const event of events) {
      for (const subscription of this.subscriptions) await subscription.deliver(event);
    }
  }

  subscribe<TTx extends RawSql>(options: InProcessSubscribeOptions<TTx>): RunningConsumer {
    const stats: ConsumerStats = { handled: 0, duplicates: 0, failures: 0, deadLettered: 0 };
    const deadLetter = (event: unknown, reason: string, deliveries: number) => {
      this.deadLetters.push({ group: options.group, event, reason, deliveries });
      stats.deadLettered += 1;
      options.logger.warn({ group: options.group, reason }, 'event dead-lettered');
    };
    const subscription: Subscription = {
      group: options.group,
      deliver: async (sent) => {
        // The same wire format and validation as the Redis path: the consumer trusts nothing it receives.
        const raw: unknown = JSON.parse(JSON.stringify(sent));
        const parsed = parseEvent(raw);
        if (!parsed.ok) return deadLetter(raw, parsed.reason, 1);
        if (!(parsed.event.type in options.delivery.handlers)) return;
        let lastError = 'unknown error';
        for (let delivery = 1; delivery <= options.maxDeliveries; delivery += 1) {
          try {
            const outcome = await deliver(options.delivery, parsed.event);
            if (outcome === 'duplicate') stats.duplicates += 1;
            else stats.handled += 1;
            return;
          } catch (error) {
            stats.failures += 1;
            lastError = error instanceof Error ? error.message : String(error);
            options.logger.warn({ err: error, eventId: parsed.event.id, delivery }, 'event handler failed');
            if (delivery < options.maxDeliveries)
              await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? 50));
          }
        }
        deadLetter(raw, `handler failed ${options.maxDeliveries} times: ${lastError}`, options.maxDeliveries);
      },
    };
    this.subscriptions.add(subscription);
    return {
      stats,
      // eslint-disable-next-line @typescript-eslint/require-await -- a subscription's stop is asynchronous for Redis consumers; here it is immediate
      stop: async () => {
        this.subscriptions.delete(subscription);
      },
    };
  }
}

/** The bus of this process, shared by every service running in it. */
export const processEventBus = new InProcessEventBus();
