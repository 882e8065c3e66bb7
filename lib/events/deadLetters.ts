import { Cluster, type Redis } from 'ioredis';
import { deadLetterKey } from './redisStreams.ts';

/** One dead-lettered delivery, as the consumer recorded it (lib/events/redisStreams.ts). */
export interface DeadLetterEntry {
  /** Its id in the dead-letter stream. */
  id: string;
  group: string;
  /** The stream and entry it was read from. */
  stream: string;
  entryId: string;
  reason: string;
  deliveries: number;
  /** The event's type and id when its JSON can be read (a malformed event is dead-lettered too). */
  type: string | null;
  eventId: string | null;
  event: string;
}

function fieldsOf(raw: unknown): Map<string, string> {
  const fields = new Map<string, string>();
  if (!Array.isArray(raw)) return fields;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key: unknown = raw[i];
    const value: unknown = raw[i + 1];
    if (typeof key === 'string' && typeof value === 'string') fields.set(key, value);
  }
  return fields;
}

function toEntry(id: string, fields: Map<string, string>): DeadLetterEntry {
  const event = fields.get('event') ?? '';
  let type: string | null = null;
  let eventId: string | null = null;
  try {
    const parsed = JSON.parse(event) as { type?: unknown; id?: unknown };
    type = typeof parsed.type === 'string' ? parsed.type : null;
    eventId = typeof parsed.id === 'string' ? parsed.id : null;
  } catch {
    // not JSON: shown as it is
  }
  return {
    id,
    group: fields.get('group') ?? '',
    stream: fields.get('stream') ?? '',
    entryId: fields.get('entryId') ?? '',
    reason: fields.get('reason') ?? '',
    deliveries: Number(fields.get('deliveries') ?? 0),
    type,
    eventId,
    event,
  };
}

/** The consumer groups that have a dead-letter stream, with its length. */
export async function deadLetterStreams(
  redis: Redis | Cluster,
  prefix: string,
): Promise<Array<{ group: string; key: string; length: number }>> {
  // Glob-escaped, braces included: the prefix and the `{events}` tag are matched literally.
  const pattern = `${deadLetterKey(prefix, '').replace(/[*?[\]\\{}]/g, (c) => `\\${c}`)}*`;
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  const keys = new Set<string>();
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      for (const key of found) keys.add(key);
    } while (cursor !== '0');
  }
  const base = deadLetterKey(prefix, '');
  const streams = [];
  for (const key of [...keys].sort())
    streams.push({ group: key.slice(base.length), key, length: await redis.xlen(key) });
  return streams;
}

/** The dead letters of one consumer group, oldest first (at most `limit`). */
export async function listDeadLetters(
  redis: Redis | Cluster,
  prefix: string,
  group: string,
  limit = 1000,
): Promise<DeadLetterEntry[]> {
  const reply = (await redis.xrange(deadLetterKey(prefix, group), '-', '+', 'COUNT', limit)) as Array<
    [string, string[]]
  >;
  return reply.map(([id, fields]) => toEntry(id, fieldsOf(fields)));
}

/**
 * Puts dead-lettered events back on the stream they came from and removes them from the dead-letter
 * stream, each in one MULTI (both keys carry the `{events}` hash tag, so this holds on a Cluster).
 * The event goes to every group of its stream again: groups that handled it find it in their inbox
 * (or run an idempotent handler), the failed group handles it anew. `ids` limits it to those entries.
 */
export async function redriveDeadLetters(
  redis: Redis | Cluster,
  prefix: string,
  group: string,
  options: { ids?: string[]; maxLen: number },
): Promise<{ redriven: DeadLetterEntry[]; missing: string[] }> {
  const key = deadLetterKey(prefix, group);
  let entries = await listDeadLetters(redis, prefix, group, Number.MAX_SAFE_INTEGER);
  const missing: string[] = [];
  if (options.ids) {
    const wanted = new Set(options.ids);
    missing.push(...options.ids.filter((id) => !entries.some((e) => e.id === id)));
    entries = entries.filter((e) => wanted.has(e.id));
  }
  const streamPrefix = `${prefix}{events}:`;
  const redriven: DeadLetterEntry[] = [];
  for (const entry of entries) {
    if (!entry.stream.startsWith(streamPrefix) || entry.stream.startsWith(deadLetterKey(prefix, ''))) {
      missing.push(entry.id);
      continue;
    }
    const results = await redis
      .multi()
      .xadd(entry.stream, 'MAXLEN', '~', options.maxLen, '*', 'event', entry.event)
      .xdel(key, entry.id)
      .exec();
    const failed = results?.find(([error]) => error !== null);
    if (!results || failed) throw failed?.[0] ?? new Error('redrive transaction was discarded');
    redriven.push(entry);
  }
  return { redriven, missing };
}
