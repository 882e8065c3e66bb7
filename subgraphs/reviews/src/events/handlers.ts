import type { EventHandlers, RawSql } from '../../../../lib/events/index.ts';
import { applyOrderCancelled } from './orderCancelled.ts';
import { applyOrderConfirmed } from './orderConfirmed.ts';

/** The events reviews consumes: confirmed orders make their buyers' reviews verified purchases, cancelled ones undo it. */
export const reviewsEventHandlers: EventHandlers<RawSql> = {
  'order.confirmed': applyOrderConfirmed,
  'order.cancelled': applyOrderCancelled,
};
