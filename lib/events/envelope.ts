import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { payloadSchema, type EventPayload, type EventType, type EventVersion } from './schemas.ts';

const Envelope = z.object({
  id: z.uuid(),
  type: z.string().min(1),
  version: z.number().int().positive(),
  occurredAt: z.iso.datetime(),
  source: z.string().min(1),
  payload: z.unknown(),
});

/** One domain event as it travels: the payload of `type` at `version`, already validated. */
export type DomainEvent<T extends EventType = EventType> = {
  [K in T]: { id: string; type: K; version: number; occurredAt: string; source: string; payload: EventPayload<K> };
}[T];

export type ParsedEvent = { ok: true; event: DomainEvent } | { ok: false; reason: string };

/** A new event with a fresh id, its payload checked against its schema before it is ever stored. */
export function createEvent<T extends EventType>(
  type: T,
  payload: EventPayload<T>,
  options: { source: string; version?: EventVersion<T>; occurredAt?: Date },
): DomainEvent<T> {
  const version = options.version ?? 1;
  const event = {
    id: randomUUID(),
    type,
    version,
    occurredAt: (options.occurredAt ?? new Date()).toISOString(),
    source: options.source,
    payload,
  };
  const parsed = parseEvent(event);
  if (!parsed.ok) throw new Error(`Invalid ${type} v${version} event: ${parsed.reason}`);
  return event;
}

/**
 * Validates an event received from anywhere (a stream entry, an outbox row): the envelope, then the
 * payload against the schema of its type and version. Never throws: a consumer dead-letters the
 * reason instead of crashing.
 */
export function parseEvent(raw: unknown): ParsedEvent {
  const envelope = Envelope.safeParse(raw);
  if (!envelope.success) return { ok: false, reason: `envelope: ${z.prettifyError(envelope.error)}` };
  const { type, version } = envelope.data;
  const schema = payloadSchema(type, version);
  if (!schema) return { ok: false, reason: `unknown event type or version: ${type} v${version}` };
  const payload = schema.safeParse(envelope.data.payload);
  if (!payload.success)
    return { ok: false, reason: `payload of ${type} v${version}: ${z.prettifyError(payload.error)}` };
  // The type was checked against the registry and the payload against that type's schema just above.
  return { ok: true, event: { ...envelope.data, payload: payload.data } as DomainEvent };
}
