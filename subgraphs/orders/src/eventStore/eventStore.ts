import type { OrdersDb, OrdersTx } from '../db.ts';
import { currentDataVersion, validateEventData, type NewOrderEvent, type StoredOrderEvent } from './events.ts';

/**
 * Another writer appended to the stream since it was read: the caller's decision was made on a stale
 * state. The transaction it was thrown in rolls back; the caller re-reads and decides again.
 */
export class StreamConflict extends Error {
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
  ) {
    super(`Stream ${streamId} moved past version ${expectedVersion}`);
    this.name = 'StreamConflict';
  }
}

/**
 * Appends `events` to a stream whose last version the caller read as `expectedVersion`, inside the
 * caller's transaction. The unique (streamId, version) decides between concurrent writers: the
 * loser's rows conflict (it waits for the winner's commit, then sees them), nothing of it is
 * written, and it gets StreamConflict. ON CONFLICT DO NOTHING plus a count keeps the transaction
 * usable for the caller's own clean-up instead of aborting it with an error.
 */
export async function appendToStream(
  tx: OrdersTx,
  streamId: string,
  expectedVersion: number,
  events: readonly NewOrderEvent[],
): Promise<StoredOrderEvent[]> {
  const stored = events.map((event, i): StoredOrderEvent => {
    const version = expectedVersion + i + 1;
    validateEventData(event.type, currentDataVersion(event.type), event.data, `${streamId}@${version}`);
    return { ...event, streamId, version };
  });
  if (stored.length === 0) return stored;
  const { count } = await tx.orderEvent.createMany({
    data: stored.map((e) => ({
      streamId,
      version: e.version,
      type: e.type,
      dataVersion: currentDataVersion(e.type),
      data: e.data,
      occurredAt: e.occurredAt,
    })),
    skipDuplicates: true,
  });
  if (count !== stored.length) throw new StreamConflict(streamId, expectedVersion);
  return stored;
}

interface EventRow {
  streamId: string;
  version: number;
  type: string;
  dataVersion: number;
  data: unknown;
  occurredAt: Date;
}

/** A row of the log, validated again on the way out: a log that no schema explains is a bug to surface. */
export function toStoredEvent(row: EventRow): StoredOrderEvent {
  const where = `${row.streamId}@${row.version}`;
  const data = validateEventData(row.type, row.dataVersion, row.data, where);
  return {
    type: row.type,
    data,
    occurredAt: row.occurredAt,
    streamId: row.streamId,
    version: row.version,
  } as StoredOrderEvent;
}

export async function readStream(db: OrdersDb, streamId: string): Promise<StoredOrderEvent[]> {
  const rows = await db.orderEvent.findMany({ where: { streamId }, orderBy: { version: 'asc' } });
  return rows.map(toStoredEvent);
}

/** The streams with these ids, each in version order (missing ids get an empty list). */
export async function readStreams(
  db: OrdersDb,
  streamIds: readonly string[],
): Promise<Map<string, StoredOrderEvent[]>> {
  const streams = new Map<string, StoredOrderEvent[]>(streamIds.map((id) => [id, []]));
  if (streamIds.length === 0) return streams;
  const rows = await db.orderEvent.findMany({
    where: { streamId: { in: [...streamIds] } },
    orderBy: [{ streamId: 'asc' }, { version: 'asc' }],
  });
  for (const row of rows) streams.get(row.streamId)?.push(toStoredEvent(row));
  return streams;
}
