import { Redis, type Cluster } from 'ioredis';
import type { Logger } from '../observability/index.ts';
import type { RedisConnection } from '../redis/index.ts';
import type { EventsConfig } from './config.ts';
import type { DomainEvent } from './envelope.ts';
import type { EventDelivery, EventHandlers, IdempotentEventHandlers } from './inbox.ts';
import { processEventBus, type InProcessEventBus } from './inProcessBus.ts';
import type { EventDatabase, RawSql } from './outbox.ts';
import { publishToStreams, startRedisConsumer, type RunningConsumer } from './redisStreams.ts';
import { startOutboxRelay, type RunningRelay } from './relay.ts';

export interface ConsumeOptions<TTx extends RawSql> {
  /** The consuming service's name: its consumer group. */
  group: string;
  db: EventDatabase<TTx>;
  handlers: EventHandlers<TTx>;
  /** A fixed consumer name within the group (tests; a restarted process reclaiming its own entries). */
  consumer?: string;
}

/**
 * A consumer in a process without a database (a gateway), so without an inbox: its handlers must be
 * idempotent by nature, since a redelivered event runs them again.
 */
export interface IdempotentConsumeOptions {
  group: string;
  handlers: IdempotentEventHandlers;
  consumer?: string;
  /** Where a new group starts reading: every event still in the streams (default), or new ones only. */
  startAt?: 'all' | 'new';
}

/**
 * One API over both deliveries: Redis Streams when the process has Redis, else this process's
 * in-memory bus fed by the same outbox relay.
 */
export interface EventTransport {
  kind: 'redis' | 'in-process';
  publish(events: DomainEvent[]): Promise<void>;
  consume<TTx extends RawSql>(options: ConsumeOptions<TTx>): Promise<RunningConsumer>;
  consumeWithoutInbox(options: IdempotentConsumeOptions): Promise<RunningConsumer>;
  relay(db: EventDatabase): RunningRelay;
}

export interface TransportDeps {
  redis: RedisConnection;
  config: EventsConfig;
  logger: Logger;
  /** Prepended to the connection's key prefix (tests isolate their streams with it). */
  streamPrefix?: string;
  /** The bus used without Redis; the process-wide one by default. */
  bus?: InProcessEventBus;
}

export function createEventTransport(deps: TransportDeps): EventTransport {
  const { config, logger } = deps;
  const relay = (publish: (events: DomainEvent[]) => Promise<void>) => (db: EventDatabase) =>
    startOutboxRelay({ db, publish, batchSize: config.batchSize, pollMs: config.relayPollMs, logger });
  const client = deps.redis.client;
  if (!client) {
    const bus = deps.bus ?? processEventBus;
    const publish = (events: DomainEvent[]) => bus.publish(events);
    return {
      kind: 'in-process',
      publish,
      relay: relay(publish),
      // eslint-disable-next-line @typescript-eslint/require-await -- consume is asynchronous for Redis Streams; subscribing in-process is immediate
      consume: async (options) =>
        bus.subscribe({
          group: options.group,
          delivery: { db: options.db, handlers: options.handlers },
          maxDeliveries: config.maxDeliveries,
          logger,
        }),
      // eslint-disable-next-line @typescript-eslint/require-await -- consume is asynchronous for Redis Streams; subscribing in-process is immediate
      consumeWithoutInbox: async (options) =>
        bus.subscribe({
          group: options.group,
          delivery: { handlers: options.handlers },
          maxDeliveries: config.maxDeliveries,
          logger,
        }),
    };
  }
  const prefix = `${deps.redis.keyPrefix}${deps.streamPrefix ?? ''}`;
  const publish = (events: DomainEvent[]) => publishToStreams(client, events, { prefix, maxLen: config.streamMaxLen });
  const consume = async <TTx extends RawSql>(
    options: { group: string; consumer?: string; startAt?: 'all' | 'new' },
    delivery: EventDelivery<TTx>,
  ): Promise<RunningConsumer> => {
    // Its own connection: a blocking XREADGROUP would hold up every other command on a shared one,
    // and it needs a command timeout longer than its BLOCK.
    const timeout = deps.redis.config.kind === 'memory' ? 0 : deps.redis.config.commandTimeoutMs;
    const own =
      client instanceof Redis
        ? client.duplicate({ commandTimeout: config.blockMs + Math.max(timeout, 1000) })
        : client.duplicate();
    own.on('error', (error: unknown) => logger.debug({ err: error }, 'event consumer connection error'));
    const blockMs = client instanceof Redis ? config.blockMs : Math.min(config.blockMs, Math.floor(timeout / 2));
    // Bounded: with Redis down the consumer starts anyway and its loop retries until Redis is back.
    if (!(await waitReady(own))) logger.warn({ group: options.group }, 'Redis not ready; event consumer will retry');
    try {
      const running = await startRedisConsumer({
        redis: own,
        prefix,
        group: options.group,
        consumer: options.consumer,
        delivery,
        startAt: options.startAt,
        maxDeliveries: config.maxDeliveries,
        claimIdleMs: config.claimIdleMs,
        blockMs,
        batchSize: config.batchSize,
        logger,
      });
      return {
        stats: running.stats,
        async stop() {
          await running.stop();
          own.disconnect();
        },
      };
    } catch (error) {
      own.disconnect();
      throw error;
    }
  };
  return {
    kind: 'redis',
    publish,
    relay: relay(publish),
    consume: (options) => consume(options, { db: options.db, handlers: options.handlers }),
    consumeWithoutInbox: (options) => consume(options, { handlers: options.handlers }),
  };
}

/** The offline queue is off, so nothing may be sent before the connection is up. */
function waitReady(client: Redis | Cluster, timeoutMs = 5_000): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    client.once('ready', onReady);
  });
}
