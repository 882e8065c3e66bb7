import type { DomainEvent } from './envelope.ts';
import type { EventType } from './schemas.ts';
import type { EventDatabase, RawSql } from './outbox.ts';

/** Applies one event's effect inside the transaction that also records it as handled. */
export type EventHandler<TTx extends RawSql = RawSql, T extends EventType = EventType> = (
  event: DomainEvent<T>,
  tx: TTx,
) => void | Promise<void>;

/** The handlers of one consuming service, by event type. */
export type EventHandlers<TTx extends RawSql = RawSql> = { [T in EventType]?: EventHandler<TTx, T> };

export type HandleOutcome = 'handled' | 'duplicate' | 'ignored';

/**
 * Handlers whose effect is idempotent by nature (deleting cache entries, say) in a process without a
 * database: they run without an inbox or a transaction, and a redelivered event simply runs again.
 */
export type IdempotentEventHandlers = { [T in EventType]?: (event: DomainEvent<T>) => Promise<void> };

/** How a consumer runs its handlers: once per event through the service's inbox, or directly. */
export type EventDelivery<TTx extends RawSql = RawSql> =
  { db: EventDatabase<TTx>; handlers: EventHandlers<TTx> } | { db?: undefined; handlers: IdempotentEventHandlers };

/** Runs the handler of `event`: through the inbox when the delivery has a database, else directly. */
export async function deliver<TTx extends RawSql>(
  delivery: EventDelivery<TTx>,
  event: DomainEvent,
): Promise<HandleOutcome> {
  if (delivery.db) return handleOnce(delivery.db, delivery.handlers, event);
  const handler = delivery.handlers[event.type] as ((event: DomainEvent) => void | Promise<void>) | undefined;
  if (!handler) return 'ignored';
  await handler(event);
  return 'handled';
}

/**
 * Runs the handler for `event` exactly once per event id: the inbox row and the handler's writes
 * commit together, so a redelivery (after a crash between commit and acknowledgement, or a relay
 * that published twice) finds the row and changes nothing. A throwing handler rolls both back and
 * the caller redelivers later.
 */
export async function handleOnce<TTx extends RawSql>(
  db: EventDatabase<TTx>,
  handlers: EventHandlers<TTx>,
  event: DomainEvent,
): Promise<HandleOutcome> {
  const handler = handlers[event.type] as EventHandler<TTx> | undefined;
  if (!handler) return 'ignored';
  return db.$transaction(async (tx) => {
    const inserted = await tx.$executeRawUnsafe(
      `INSERT INTO "InboxEvent" ("id", "type") VALUES ($1::uuid, $2) ON CONFLICT ("id") DO NOTHING`,
      event.id,
      event.type,
    );
    if (inserted === 0) return 'duplicate';
    await handler(event, tx);
    return 'handled';
  });
}
