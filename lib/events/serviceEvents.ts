import type { Logger } from '../observability/index.ts';
import { createRedisConnection, redisConfigFromEnv } from '../redis/index.ts';
import { eventsConfigFromEnv } from './config.ts';
import type { EventHandlers } from './inbox.ts';
import type { EventDatabase, RawSql } from './outbox.ts';
import { eventRetentionFromEnv, startEventPruner, type RunningPruner } from './prune.ts';
import { deadLetterKey, streamKey, type RunningConsumer } from './redisStreams.ts';
import { registerEventSource } from '../observability/metrics/events.ts';
import type { RunningRelay } from './relay.ts';
import { createEventTransport, type EventTransport } from './transport.ts';

export interface ServiceEventsOptions<TTx extends RawSql> {
  /** The service: its consumer group. */
  service: string;
  db: EventDatabase<TTx>;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  /** Relay this service's outbox (services that publish). */
  relay?: boolean;
  /** Consume these event types (services that consume). */
  handlers?: EventHandlers<TTx>;
}

export interface RunningServiceEvents {
  transport: EventTransport;
  stop(): Promise<void>;
}

/**
 * A service's event plumbing from its env, for a subgraph's `startWorkers`: its outbox relay and its
 * consumer group, on Redis Streams when REDIS_URL (or REDIS_CLUSTER_NODES) is set, else on this
 * process's bus, which only links services running in the same process.
 */
export async function startServiceEvents<TTx extends RawSql>(
  options: ServiceEventsOptions<TTx>,
): Promise<RunningServiceEvents> {
  const { logger } = options;
  const retention = eventRetentionFromEnv(options.env);
  const redis = createRedisConnection(redisConfigFromEnv(options.env), logger);
  let relay: RunningRelay | null = null;
  let consumer: RunningConsumer | null = null;
  let pruner: RunningPruner | null = null;
  const stop = async () => {
    await relay?.stop();
    await consumer?.stop();
    await pruner?.stop();
    await redis.close();
  };
  try {
    // Every replica prunes: the deletes are idempotent and batched, so they need no coordination.
    pruner = startEventPruner({ db: options.db, retention, logger });
    const transport = createEventTransport({ redis, config: eventsConfigFromEnv(options.env), logger });
    if (options.handlers)
      consumer = await transport.consume({ group: options.service, db: options.db, handlers: options.handlers });
    if (options.relay) relay = transport.relay(options.db);
    // For the service's metrics: consumer lag and dead letters of its group.
    if (consumer && redis.client)
      registerEventSource(options.db, {
        client: redis.client,
        group: options.service,
        streams: Object.fromEntries(Object.keys(options.handlers ?? {}).map((t) => [t, streamKey(redis.keyPrefix, t)])),
        deadLetterKey: deadLetterKey(redis.keyPrefix, options.service),
      });
    logger.info(
      { delivery: transport.kind, relay: relay !== null, consumes: Object.keys(options.handlers ?? {}) },
      'service events started',
    );
    return { transport, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
