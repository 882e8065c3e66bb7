import { parseEvent, type DomainEvent } from './envelope.ts';

/** The raw-SQL surface of every generated Prisma client and of its interactive transactions. */
export interface RawSql {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}

/** A service's Prisma client, as far as the outbox and inbox need it. */
export interface EventDatabase<TTx extends RawSql = RawSql> extends RawSql {
  $transaction<R>(fn: (tx: TTx) => Promise<R>, options?: { maxWait?: number; timeout?: number }): Promise<R>;
}

/**
 * Records `event` in the service's outbox inside the caller's transaction: it is published if and
 * only if that transaction commits. Raw SQL so one implementation serves the six generated clients.
 */
export async function appendToOutbox(tx: RawSql, event: DomainEvent): Promise<void> {
  const parsed = parseEvent(event);
  if (!parsed.ok) throw new Error(`Refusing to publish an invalid event: ${parsed.reason}`);
  await tx.$executeRawUnsafe(
    `INSERT INTO "OutboxEvent" ("id", "type", "version", "source", "occurredAt", "payload")
     VALUES ($1::uuid, $2, $3, $4, $5::timestamptz, $6::jsonb)`,
    event.id,
    event.type,
    event.version,
    event.source,
    event.occurredAt,
    JSON.stringify(event.payload),
  );
}

interface OutboxRow {
  id: string;
  type: string;
  version: number;
  source: string;
  occurredAt: Date | string;
  payload: unknown;
}

/**
 * Takes up to `limit` unpublished events in outbox order, hands them to `publish`, and marks them
 * published, all in one transaction holding their row locks. SKIP LOCKED lets a second relay take
 * the next batch instead of the same one, so two relays never publish one row twice; a crash after
 * `publish` but before commit republishes the batch, which consumers' inboxes absorb.
 * Returns how many events were published.
 */
export async function relayOutboxBatch(
  db: EventDatabase,
  limit: number,
  publish: (events: DomainEvent[]) => Promise<void>,
): Promise<number> {
  return db.$transaction(
    async (tx) => {
      const rows = await tx.$queryRawUnsafe<OutboxRow[]>(
        `SELECT "id", "type", "version", "source", "occurredAt", "payload" FROM "OutboxEvent"
         WHERE "publishedAt" IS NULL ORDER BY "seq" LIMIT $1 FOR UPDATE SKIP LOCKED`,
        limit,
      );
      if (rows.length === 0) return 0;
      await publish(rows.map(toEvent));
      await tx.$executeRawUnsafe(
        `UPDATE "OutboxEvent" SET "publishedAt" = now() WHERE "id" = ANY($1::uuid[])`,
        rows.map((r) => r.id),
      );
      return rows.length;
    },
    { maxWait: 10_000, timeout: 30_000 },
  );
}

function toEvent(row: OutboxRow): DomainEvent {
  const occurredAt =
    row.occurredAt instanceof Date ? row.occurredAt.toISOString() : new Date(`${row.occurredAt}Z`).toISOString();
  const payload: unknown = typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload;
  // Rows were validated when appended; re-validating here would dead-letter nothing, so they are
  // passed through as stored and validated again by every consumer.
  return { id: row.id, type: row.type, version: row.version, source: row.source, occurredAt, payload } as DomainEvent;
}
