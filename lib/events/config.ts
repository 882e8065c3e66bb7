import { z } from 'zod';

export interface EventsConfig {
  /** Deliveries of one event to a consumer group before it goes to the dead-letter stream. */
  maxDeliveries: number;
  /** How long a delivered, unacknowledged entry waits before another consumer may claim it. */
  claimIdleMs: number;
  blockMs: number;
  batchSize: number;
  streamMaxLen: number;
  relayPollMs: number;
}

const shape = z.object({
  EVENTS_MAX_DELIVERIES: z.coerce.number().int().min(1).max(100).default(5),
  EVENTS_CLAIM_IDLE_MS: z.coerce.number().int().min(10).default(30_000),
  EVENTS_BLOCK_MS: z.coerce.number().int().min(10).max(60_000).default(2_000),
  EVENTS_BATCH_SIZE: z.coerce.number().int().min(1).max(1_000).default(100),
  EVENTS_STREAM_MAXLEN: z.coerce.number().int().min(100).default(100_000),
  EVENTS_RELAY_POLL_MS: z.coerce.number().int().min(5).default(100),
});

/** Read once per process; a bad value stops the start with the variable's name. */
export function eventsConfigFromEnv(env: NodeJS.ProcessEnv = process.env): EventsConfig {
  const parsed = shape.safeParse(env);
  if (!parsed.success) {
    throw new Error(
      `Invalid events configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const c = parsed.data;
  return {
    maxDeliveries: c.EVENTS_MAX_DELIVERIES,
    claimIdleMs: c.EVENTS_CLAIM_IDLE_MS,
    blockMs: c.EVENTS_BLOCK_MS,
    batchSize: c.EVENTS_BATCH_SIZE,
    streamMaxLen: c.EVENTS_STREAM_MAXLEN,
    relayPollMs: c.EVENTS_RELAY_POLL_MS,
  };
}
