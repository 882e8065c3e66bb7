import { z } from 'zod';

const uuid = z.uuid();
const cents = z.number().int().nonnegative();
const text = z.string().min(1).max(500);

export const STEP_NAMES = [
  'RESERVE_STOCK',
  'CHARGE_PAYMENT',
  'COMMIT_STOCK',
  'REFUND_PAYMENT',
  'RELEASE_STOCK',
] as const;
export type StepName = (typeof STEP_NAMES)[number];
const step = z.enum(STEP_NAMES);

/**
 * Step names as version 1 of the step events stored them: the step that calls inventory.commitStock
 * was CONFIRM_ORDER (the order is confirmed by an event of its own, before the step starts).
 */
const STEP_NAMES_V1 = ['RESERVE_STOCK', 'CHARGE_PAYMENT', 'CONFIRM_ORDER', 'REFUND_PAYMENT', 'RELEASE_STOCK'] as const;
const stepV1 = z.enum(STEP_NAMES_V1);
const renamedStep = (name: (typeof STEP_NAMES_V1)[number]): StepName =>
  name === 'CONFIRM_ORDER' ? 'COMMIT_STOCK' : name;

/**
 * Every event the orders log holds, by type and data version. As with the domain events of
 * lib/events, a new version is added beside the old one and never edited in place, so the log can
 * always be replayed: an older version is read through its upcaster (UPCASTERS) into the newest one,
 * which is the only one a fold ever sees and the only one appended.
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
  SagaStepStarted: {
    1: z.object({ step: stepV1, attempt: z.number().int().positive() }),
    2: z.object({ step, attempt: z.number().int().positive() }),
  },
  SagaStepSucceeded: {
    1: z.object({ step: stepV1, detail: z.string().max(200).nullable() }),
    2: z.object({ step, detail: z.string().max(200).nullable() }),
  },
  /**
   * An attempt failed. `final: false` is transient (the step is retried); `final: true` gives the
   * step up. `effect` says whether the step may have changed anything at the provider: 'none' when
   * it answered a definite refusal (no stock, declined card), so nothing needs undoing.
   */
  SagaStepFailed: {
    1: z.object({ step: stepV1, error: text, final: z.boolean(), effect: z.enum(['none', 'unknown']) }),
    2: z.object({ step, error: text, final: z.boolean(), effect: z.enum(['none', 'unknown']) }),
  },
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

/** The version each type is appended at: its newest. */
export const CURRENT_DATA_VERSIONS = {
  OrderPlaced: 1,
  SagaStepStarted: 2,
  SagaStepSucceeded: 2,
  SagaStepFailed: 2,
  SagaCompensationStarted: 1,
  SagaCompleted: 1,
  OrderConfirmed: 1,
  OrderFailed: 1,
  OrderShipped: 1,
  OrderDelivered: 1,
  OrderCancelled: 1,
  CancellationRequested: 1,
} as const satisfies { [T in OrderEventType]: keyof (typeof ORDER_EVENT_SCHEMAS)[T] & number };

type Schemas = typeof ORDER_EVENT_SCHEMAS;
type CurrentSchema<T extends OrderEventType> = Schemas[T][(typeof CURRENT_DATA_VERSIONS)[T] & keyof Schemas[T]];
export type OrderEventData<T extends OrderEventType> = z.infer<CurrentSchema<T> & z.ZodType>;

/** A step event of version 1, with the step's old name. */
type StepEventV1 = { step: (typeof STEP_NAMES_V1)[number] };

/**
 * From a version to the next, per type: data valid at version N becomes data valid at N + 1. Read
 * applies them in turn up to the current version; stored rows are never rewritten.
 */
const UPCASTERS: { [T in OrderEventType]?: Record<number, (data: never) => unknown> } = {
  SagaStepStarted: { 1: (data: StepEventV1) => ({ ...data, step: renamedStep(data.step) }) },
  SagaStepSucceeded: { 1: (data: StepEventV1) => ({ ...data, step: renamedStep(data.step) }) },
  SagaStepFailed: { 1: (data: StepEventV1) => ({ ...data, step: renamedStep(data.step) }) },
};

/** An event to append: type and data (validated on append), and when it happened. */
export type NewOrderEvent = {
  [T in OrderEventType]: { type: T; data: OrderEventData<T>; occurredAt: Date };
}[OrderEventType];

/** An event read back from the log, validated again. */
export type StoredOrderEvent = NewOrderEvent & { streamId: string; version: number };

export function isOrderEventType(value: string): value is OrderEventType {
  return Object.hasOwn(ORDER_EVENT_SCHEMAS, value);
}

export function currentDataVersion(type: OrderEventType): number {
  return CURRENT_DATA_VERSIONS[type];
}

function parseAt(type: OrderEventType, dataVersion: number, data: unknown, where: string): unknown {
  const versions: Record<number, z.ZodType | undefined> = ORDER_EVENT_SCHEMAS[type];
  const schema = versions[dataVersion];
  if (!schema) throw new Error(`Unknown version ${dataVersion} of ${type} at ${where}`);
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new Error(`Invalid ${type} v${dataVersion} at ${where}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/**
 * The event's data checked against its type's schema at `dataVersion`, then upcast version by version
 * to the current one (checked again there); throws naming the stream and version.
 */
export function validateEventData(
  type: string,
  dataVersion: number,
  data: unknown,
  where: string,
): NewOrderEvent['data'] {
  if (!isOrderEventType(type)) throw new Error(`Unknown order event type "${type}" at ${where}`);
  let value = parseAt(type, dataVersion, data, where);
  const current = currentDataVersion(type);
  for (let version = dataVersion; version < current; version += 1) {
    const upcast = UPCASTERS[type]?.[version];
    if (!upcast) throw new Error(`No upcaster from version ${version} of ${type} at ${where}`);
    value = parseAt(type, version + 1, upcast(value as never), where);
  }
  return value as NewOrderEvent['data'];
}

/** Shorthand constructors keep call sites typed by event type. */
export function orderEvent<T extends OrderEventType>(
  type: T,
  data: OrderEventData<T>,
  occurredAt = new Date(),
): NewOrderEvent {
  return { type, data, occurredAt } as NewOrderEvent;
}
