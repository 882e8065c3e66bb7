import { z } from 'zod';

const uuid = z.uuid();
const cents = z.number().int().nonnegative();
const currency = z.string().regex(/^[A-Z]{3}$/);

/**
 * Every event type and version the services exchange, with its payload schema. A new version of a
 * type is added beside the old one (never edited in place), so consumers still running the old code
 * keep validating what they understand and dead-letter what they do not.
 */
export const EVENT_SCHEMAS = {
  'order.confirmed': {
    1: z.object({
      orderId: uuid,
      userId: uuid,
      items: z
        .array(z.object({ productId: uuid, quantity: z.number().int().positive(), unitPriceCents: cents }))
        .min(1),
      totalCents: cents,
      currency,
      confirmedAt: z.iso.datetime(),
    }),
  },
  'order.cancelled': {
    1: z.object({
      orderId: uuid,
      userId: uuid,
      reason: z.string().min(1).max(500),
      items: z.array(z.object({ productId: uuid, quantity: z.number().int().positive() })),
      cancelledAt: z.iso.datetime(),
    }),
  },
  'order.failed': {
    1: z.object({
      orderId: uuid,
      userId: uuid,
      reason: z.string().min(1).max(500),
      failedAt: z.iso.datetime(),
    }),
  },
  'stock.changed': {
    1: z.object({
      productId: uuid,
      available: z.number().int().nonnegative(),
      reserved: z.number().int().nonnegative(),
      delta: z.number().int(),
      reason: z.enum(['reserved', 'released', 'committed', 'restocked', 'adjusted']),
    }),
  },
  'payment.refunded': {
    1: z.object({
      paymentId: uuid,
      orderId: uuid,
      amountCents: cents,
      currency,
      reason: z.string().min(1).max(500),
    }),
  },
  'review.created': {
    1: z.object({
      reviewId: uuid,
      productId: uuid,
      userId: uuid,
      rating: z.number().int().min(1).max(5),
    }),
  },
  'user.updated': {
    1: z.object({
      userId: uuid,
      changed: z.array(z.enum(['name', 'email', 'avatarUrl', 'address'])).min(1),
    }),
  },
} as const satisfies Record<string, Record<number, z.ZodType>>;

export type EventType = keyof typeof EVENT_SCHEMAS;
export type EventVersion<T extends EventType> = keyof (typeof EVENT_SCHEMAS)[T] & number;
export type EventPayload<T extends EventType, V extends EventVersion<T> = EventVersion<T>> = z.infer<
  (typeof EVENT_SCHEMAS)[T][V]
>;

export const EVENT_TYPES = Object.keys(EVENT_SCHEMAS) as EventType[];

export function isEventType(value: string): value is EventType {
  return Object.hasOwn(EVENT_SCHEMAS, value);
}

/** The payload schema of one type and version, or null when this code does not know it. */
export function payloadSchema(type: string, version: number): z.ZodType | null {
  if (!isEventType(type)) return null;
  const versions: Record<number, z.ZodType | undefined> = EVENT_SCHEMAS[type];
  return versions[version] ?? null;
}
