import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../observability/index.ts';
import { parseEvent, type DomainEvent } from './envelope.ts';
import { deliver, type EventDelivery } from './inbox.ts';
import type { RawSql } from './outbox.ts';
import type { EventType } from './schemas.ts';

/**
 * Stream keys share the `{events}` hash tag so one XREADGROUP over several types, and the
 * dead-letter MULTI, stay on one slot of a Redis Cluster.
 */
export function streamKey(prefix: string, type: string): string {
  return `${prefix}{events}:${type}`;
}

export function deadLetterKey(prefix: string, group: string): string {
  return `${prefix}{events}:dead-letter:${group}`;
}

export interface RedisPublishOptions {
  prefix: string;
  /** Approximate length each stream is trimmed to (XADD MAXLEN ~). */
  maxLen: number;
}

/** Appends events to their type's stream in the given order, in one round trip. */
export async function publishToStreams(
  redis: Redis | Cluster,
  events: readonly DomainEvent[],
  options: RedisPublishOptions,
): Promise<void> {
  if (events.length === 0) return;
  const pipeline = redis.pipeline();
  for (const event of events)
    pipeline.xadd(
      streamKey(options.prefix, event.type),
      'MAXLEN',
      '~',
      options.maxLen,
      '*',
      'event',
      JSON.stringify(event),
    );
  const results = await pipeline.exec();
  const failed = results?.find(([error]) => error !== null);
  if (!results || failed) throw failed?.[0] ?? new Error('Redis pipeline was discarded');
}

export interface RedisConsumerOptions<TTx extends RawSql> {
  redis: Redis | Cluster;
  prefix: string;
  /** The consuming service: one consumer group per service, so each service sees every event once. */
  group: string;
  /** This process within the group; defaults to host, pid and a random suffix. */
  consumer?: string;
  /** The handlers, run through the service's inbox, or directly when they are idempotent by nature. */
  delivery: EventDelivery<TTx>;
  /**
   * Where a group that does not exist yet starts: at the beginning of each stream (events published
   * before the group existed are still owed to it), or at new events only (a cache created now
   * holds nothing older to invalidate).
   */
  startAt?: 'all' | 'new';
  /** Deliveries of one entry before it is dead-lettered. */
  maxDeliveries: number;
  /** How long an entry stays pending (its consumer failed or died) before it is claimed again. */
  claimIdleMs: number;
  /** XREADGROUP BLOCK; must stay under the client's command timeout. */
  blockMs: number;
  batchSize: number;
  logger: Logger;
}

export interface ConsumerStats {
  handled: number;
  duplicates: number;
  failures: number;
  deadLettered: number;
}

export interface RunningConsumer {
  stats: ConsumerStats;
  stop(): Promise<void>;
}

interface StreamEntry {
  stream: string;
  id: string;
  fields: Map<string, string>;
}

/** Consumes the streams of the handled event types until stopped; acknowledges after the handler commits. */
export async function startRedisConsumer<TTx extends RawSql>(
  options: RedisConsumerOptions<TTx>,
): Promise<RunningConsumer> {
  const { redis, group, logger } = options;
  const consumer = options.consumer ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const types = Object.keys(options.delivery.handlers) as EventType[];
  const streams = types.map((type) => streamKey(options.prefix, type));
  const dlq = deadLetterKey(options.prefix, group);
  const stats: ConsumerStats = { handled: 0, duplicates: 0, failures: 0, deadLettered: 0 };
  const lastErrors = new Map<string, string>();

  let groupsReady = false;
  const ensureGroups = async (): Promise<void> => {
    for (const stream of streams) {
      try {
        await redis.xgroup('CREATE', stream, group, options.startAt === 'new' ? '$' : '0', 'MKSTREAM');
      } catch (error) {
        if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
      }
    }
    groupsReady = true;
  };
  try {
    await ensureGroups();
  } catch (error) {
    // Redis may be down while the service starts: the loop keeps trying, the service still serves.
    logger.warn({ err: error, group }, 'event consumer waiting for Redis');
  }

  const deadLetter = async (entry: StreamEntry, reason: string, deliveries: number): Promise<void> => {
    const results = await redis
      .multi()
      .xadd(
        dlq,
        '*',
        'event',
        entry.fields.get('event') ?? '',
        'stream',
        entry.stream,
        'entryId',
        entry.id,
        'group',
        group,
        'reason',
        reason,
        'deliveries',
        String(deliveries),
      )
      .xack(entry.stream, group, entry.id)
      .exec();
    const failed = results?.find(([error]) => error !== null);
    if (!results || failed) throw failed?.[0] ?? new Error('dead-letter transaction was discarded');
    lastErrors.delete(entry.id);
    stats.deadLettered += 1;
    logger.warn({ stream: entry.stream, entryId: entry.id, group, reason }, 'event dead-lettered');
  };

  const processEntry = async (entry: StreamEntry, deliveries: number): Promise<void> => {
    const parsed = parseEntry(entry);
    if (!parsed.ok) return deadLetter(entry, parsed.reason, deliveries);
    if (deliveries > options.maxDeliveries) {
      return deadLetter(
        entry,
        `handler failed ${deliveries - 1} times: ${lastErrors.get(entry.id) ?? 'unknown error'}`,
        deliveries,
      );
    }
    try {
      const outcome = await deliver(options.delivery, parsed.event);
      if (outcome === 'duplicate') stats.duplicates += 1;
      else stats.handled += 1;
    } catch (error) {
      // Left pending: claimed again after claimIdleMs, by this consumer or another one.
      stats.failures += 1;
      lastErrors.set(entry.id, error instanceof Error ? error.message : String(error));
      logger.warn(
        { err: error, eventId: parsed.event.id, type: parsed.event.type, deliveries },
        'event handler failed',
      );
      return;
    }
    await redis.xack(entry.stream, group, entry.id);
    lastErrors.delete(entry.id);
  };

  const reclaim = async (): Promise<void> => {
    for (const stream of streams) {
      const reply = await redis.call(
        'XAUTOCLAIM',
        stream,
        group,
        consumer,
        options.claimIdleMs,
        '0-0',
        'COUNT',
        options.batchSize,
      );
      const entries = parseAutoclaim(stream, reply);
      if (entries.length === 0) continue;
      const counts = await deliveryCounts(redis, stream, group, consumer, entries);
      // An entry just claimed has been delivered at least twice; that is the floor if its count is missing.
      for (const entry of entries) await processEntry(entry, counts.get(entry.id) ?? 2);
    }
  };

  let stopped = false;
  let lastReclaim = 0;
  let lastLoopError = '';
  const loop = (async () => {
    while (!stopped) {
      try {
        if (!groupsReady) await ensureGroups();
        if (Date.now() - lastReclaim >= Math.max(10, options.claimIdleMs / 2)) {
          lastReclaim = Date.now();
          await reclaim();
        }
        const reply = await redis.call(
          'XREADGROUP',
          'GROUP',
          group,
          consumer,
          'COUNT',
          options.batchSize,
          'BLOCK',
          options.blockMs,
          'STREAMS',
          ...streams,
          ...streams.map(() => '>'),
        );
        for (const entry of parseRead(reply)) await processEntry(entry, 1);
        lastLoopError = '';
      } catch (error) {
        if (stopped) break;
        const message = error instanceof Error ? error.message : String(error);
        // A stream deleted or flushed under us takes its group with it.
        if (message.includes('NOGROUP')) groupsReady = false;
        // One line per new failure, not one per retry while Redis stays down.
        if (message !== lastLoopError) logger.error({ err: error, group }, 'event consumer loop failed; retrying');
        lastLoopError = message;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  })();

  return {
    stats,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

function parseEntry(entry: StreamEntry): ReturnType<typeof parseEvent> {
  const raw = entry.fields.get('event');
  if (raw === undefined) return { ok: false, reason: 'entry has no event field' };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'event is not JSON' };
  }
  return parseEvent(json);
}

/** Delivery counts of just-claimed entries, from one XPENDING over their id range. */
async function deliveryCounts(
  redis: Redis | Cluster,
  stream: string,
  group: string,
  consumer: string,
  entries: StreamEntry[],
): Promise<Map<string, number>> {
  const first = entries[0]?.id ?? '-';
  const last = entries[entries.length - 1]?.id ?? '+';
  // The range may also hold this consumer's other pending entries (recent failures not yet idle): leave room for them.
  const reply = await redis.call('XPENDING', stream, group, first, last, entries.length + 1000, consumer);
  const counts = new Map<string, number>();
  if (!Array.isArray(reply)) return counts;
  for (const row of reply) {
    if (Array.isArray(row) && typeof row[0] === 'string' && typeof row[3] === 'number') counts.set(row[0], row[3]);
  }
  return counts;
}

function toFields(raw: unknown): Map<string, string> | null {
  if (!Array.isArray(raw)) return null;
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key: unknown = raw[i];
    const value: unknown = raw[i + 1];
    if (typeof key === 'string' && typeof value === 'string') fields.set(key, value);
  }
  return fields;
}

function toEntries(stream: string, raw: unknown): StreamEntry[] {
  if (!Array.isArray(raw)) return [];
  const entries: StreamEntry[] = [];
  for (const item of raw) {
    if (!Array.isArray(item) || typeof item[0] !== 'string') continue;
    // A trimmed entry comes back with nil fields: nothing is left to handle or to dead-letter.
    const fields = toFields(item[1]);
    if (fields) entries.push({ stream, id: item[0], fields });
  }
  return entries;
}

/** XREADGROUP reply: [[stream, [[id, [field, value, ...]], ...]], ...] or null. */
function parseRead(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply)) return [];
  return reply.flatMap((item: unknown) =>
    Array.isArray(item) && typeof item[0] === 'string' ? toEntries(item[0], item[1]) : [],
  );
}

/** XAUTOCLAIM reply: [nextCursor, [[id, fields], ...], deletedIds]. */
function parseAutoclaim(stream: string, reply: unknown): StreamEntry[] {
  return Array.isArray(reply) ? toEntries(stream, reply[1]) : [];
}
