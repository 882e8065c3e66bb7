export { eventsConfigFromEnv, type EventsConfig } from './config.ts';
export { createEvent, parseEvent, type DomainEvent, type ParsedEvent } from './envelope.ts';
export {
  deliver,
  handleOnce,
  type EventDelivery,
  type EventHandler,
  type EventHandlers,
  type HandleOutcome,
  type IdempotentEventHandlers,
} from './inbox.ts';
export { InProcessEventBus, processEventBus, type DeadLetter } from './inProcessBus.ts';
export { appendToOutbox, relayOutboxBatch, type EventDatabase, type RawSql } from './outbox.ts';
export {
  deadLetterKey,
  publishToStreams,
  startRedisConsumer,
  streamKey,
  type ConsumerStats,
  type RunningConsumer,
} from './redisStreams.ts';
export { startOutboxRelay, type RunningRelay } from './relay.ts';
export { EVENT_SCHEMAS, EVENT_TYPES, isEventType, type EventPayload, type EventType } from './schemas.ts';
export {
  createEventTransport,
  type ConsumeOptions,
  type EventTransport,
  type IdempotentConsumeOptions,
} from './transport.ts';
export { startServiceEvents, type RunningServiceEvents, type ServiceEventsOptions } from './serviceEvents.ts';
export { eventRetentionFromEnv, pruneEvents, startEventPruner, type EventRetention } from './prune.ts';
export { deadLetterStreams, listDeadLetters, redriveDeadLetters, type DeadLetterEntry } from './deadLetters.ts';
