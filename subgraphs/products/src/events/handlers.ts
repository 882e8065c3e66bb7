import type { EventHandlers, RawSql } from '../../../../lib/events/index.ts';
import { applyOrderCancelled } from './orderCancelled.ts';
import { applyOrderConfirmed } from './orderConfirmed.ts';

/** The events products consumes, and what each does to its read models. */
export const productsEventHandlers: EventHandlers<RawSql> = {
  'order.confirmed': applyOrderConfirmed,
  'order.cancelled': applyOrderCancelled,
};
