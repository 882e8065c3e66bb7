import type { EventHandlers, RawSql } from '../../../../lib/events/index.ts';
import { applyOrderConfirmed } from './orderConfirmed.ts';

/** The events reviews consumes: confirmed orders make their buyers' reviews verified purchases. */
export const reviewsEventHandlers: EventHandlers<RawSql> = {
  'order.confirmed': applyOrderConfirmed,
};
