import { z } from 'zod';

const uuid = z.uuid();
const cents = z.number().int().nonnegative();
const text = z.string().min(1).max(500);

export const STEP_NAMES = [
  'RESERVE_STOCK',
  'CHARGE_PAYMENT',
  'CONFIRM_ORDER',
  'REFUND_PAYMENT',
  'RELEASE_STOCK',
] as const;
export type StepName = (typeof STEP_NAMES)[number];
const step = z.enum(STEP_NAMES);

/**
 * Every event the orders log holds, by type and data version. As with the domain events of
 * lib/events, a new version is added beside the old one and never edited in place, so the log can
 * always be replayed; a fold reads every version it finds.
 *
 * An order's stream (id = the order id, which is also its checkout saga's id) holds the order's
 * life and its checkout saga's steps; a cancellation saga has a stream of its own.
 */
export const ORDER_EVENT_SCHEMAS = {
  /** The order exists. `checkout` is null for orders imported without a saga (the demo history). */
  OrderPlaced: {
    1: z.object({
      orderId: uuid,
      userId: uuid,
      currency: z.string().regex(/^[A-Z]{3}$/),
      totalCents: cents,
      items: z
        .array(
          z.object({
            id: uuid,
            productId: uuid,
            quantity: z.number().int().min(1).max(1000),
            unitPriceCents: cents,
            position: z.number().int().nonnegative(),
          }),
        )
        .min(1)
        .max(100),
      checkout: z.object({ deadline: z.iso.datetime() }).nullable(),
    }),
  },
  /** A step's attempt begins: recorded before the call, so a crash leaves the call's possible effect on record. */
  SagaStepStarted: { 1: z.object({ step, attempt: z.number().int().positive() }) },
  SagaStepSucceeded: { 1: z.object({ step, detail: z.string().max(200).nullable() }) },
  /**
   * An attempt failed. `final: false` is transient (the step is retried); `final: true` gives the
   * step up. `effect` says whether the step may have changed anything at the provider: 'none' when
   * it answered a definite refusal (no stock, declined card), so nothing needs undoing.
   */
  SagaStepFailed: { 1: z.object({ step, error: text, final: z.boolean(), effect: z.enum(['none', 'unknown']) }) },
  /** The saga turns back: its compensations run next. */
  SagaCompensationStarted: { 1: z.object({ reason: text }) },
  SagaCompleted: { 1: z.object({ outcome: z.enum(['SUCCEEDED', 'COMPENSATED']) }) },
  OrderConfirmed: { 1: z.object({}) },
  OrderFailed: { 1: z.object({ reason: text }) },
  OrderShipped: { 1: z.object({}) },
  OrderDelivered: { 1: z.object({}) },
  /** `cancellationId`: the cancellation saga that refunded the order (null for imported history). */
  OrderCancelled: { 1: z.object({ reason: text, cancellationId: uuid.nullable() }) },
  /** First event of a cancellation saga's stream. */
  CancellationRequested: { 1: z.object({ orderId: uuid, userId: uuid, reason: text }) },
} as const satisfies Record<string, Record<number, z.ZodType>>;

export type OrderEventType = keyof typeof ORDER_EVENT_SCHEMAS;
type LatestVersion<T extends OrderEventType> = keyof (typeof ORDER_EVENT_SCHEMAS)[T] & number;
export type OrderEventData<T extends OrderEventType> = z.infer<(typeof ORDER_EVENT_SCHEMAS)[T][LatestVersion<T>]>;

/** An event to append: type and data (validated on append), and when it happened. */
export type NewOrderEvent = {
  [T in OrderEventType]: { type: T; data: OrderEventData<T>; occurredAt: Date };
}[OrderEventType];

/** An event read back from the log, validated again. */
export type StoredOrderEvent = NewOrderEvent & { streamId: string; version: number };

export function isOrderEventType(value: string): value is OrderEventType {
  return Object.hasOwn(ORDER_EVENT_SCHEMAS, value);
}

/** Every event type has version 1 only so far; the version appended is the newest one. */
export const CURRENT_DATA_VERSION = 1;

/** The event's data checked against its type's schema at `dataVersion`; throws naming the stream and version. */
export function validateEventData(
  type: string,
  dataVersion: number,
  data: unknown,
  where: string,
): NewOrderEvent['data'] {
  if (!isOrderEventType(type)) throw new Error(`Unknown order event type "${type}" at ${where}`);
  const versions: Record<number, z.ZodType | undefined> = ORDER_EVENT_SCHEMAS[type];
  const schema = versions[dataVersion];
  if (!schema) throw new Error(`Unknown version ${dataVersion} of ${type} at ${where}`);
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new Error(`Invalid ${type} v${dataVersion} at ${where}: ${z.prettifyError(parsed.error)}`);
  return parsed.data as NewOrderEvent['data'];
}

/** Shorthand constructors keep call sites typed by event type. */
export function orderEvent<T extends OrderEventType>(
  type: T,
  data: OrderEventData<T>,
  occurredAt = new Date(),
): NewOrderEvent {
  return { type, data, occurredAt } as NewOrderEvent;
}
