/** What the figures need of an ioredis client (a single node or a cluster). */
export interface StreamReader {
  xinfo(subcommand: 'GROUPS', key: string): Promise<unknown>;
  xlen(key: string): Promise<number>;
}

/** A service's consumer group on Redis Streams, as its metrics read it. */
export interface EventSource {
  client: StreamReader;
  group: string;
  /** Event type → its stream's key. */
  streams: Record<string, string>;
  deadLetterKey: string;
}

export interface EventFigures {
  /** Entries of each stream not yet delivered to the group (Redis 7 `XINFO GROUPS` lag; null when Redis cannot tell). */
  lag: Record<string, number | null>;
  deadLettered: number;
}

/**
 * The consumer group a service's workers started, keyed by the service's database client: the
 * subgraph bootstrap, which owns that client and the metrics, finds it there without the workers of
 * six services having to pass it along.
 */
const sources = new WeakMap<object, EventSource>();

export function registerEventSource(db: object, source: EventSource): void {
  sources.set(db, source);
}

export function eventSourceOf(db: object): EventSource | undefined {
  return sources.get(db);
}

function groupLag(reply: unknown, group: string): number | null {
  if (!Array.isArray(reply)) return null;
  for (const entry of reply) {
    if (!Array.isArray(entry)) continue;
    const fields = new Map<string, unknown>();
    for (let i = 0; i + 1 < entry.length; i += 2) fields.set(String(entry[i]), entry[i + 1]);
    if (fields.get('name') !== group) continue;
    const lag = fields.get('lag');
    return typeof lag === 'number' ? lag : null;
  }
  return null;
}

export async function readEventFigures(source: EventSource): Promise<EventFigures> {
  const entries = Object.entries(source.streams);
  const lags = await Promise.all(
    entries.map(async ([, key]) => groupLag(await source.client.xinfo('GROUPS', key).catch(() => null), source.group)),
  );
  return {
    lag: Object.fromEntries(entries.map(([type], i) => [type, lags[i] ?? null])),
    deadLettered: await source.client.xlen(source.deadLetterKey),
  };
}
