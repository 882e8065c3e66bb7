import type { DomainEvent, EventTransport, IdempotentEventHandlers, RunningConsumer } from '../events/index.ts';
import type { Logger } from '../observability/index.ts';
import type { CacheRuntime } from './runtime.ts';
import { entityTag } from './tags.ts';

const tag = (type: string, id: string) => entityTag(type, [id]);

/** The entities a domain event changes, as cache tags. */
export function tagsOfEvent(event: DomainEvent): string[] {
  switch (event.type) {
    case 'stock.changed':
      return [tag('Product', event.payload.productId)];
    case 'order.confirmed':
    case 'order.cancelled':
      return [
        tag('User', event.payload.userId),
        tag('Order', event.payload.orderId),
        ...event.payload.items.map((i) => tag('Product', i.productId)),
      ];
    case 'order.failed':
      return [tag('User', event.payload.userId), tag('Order', event.payload.orderId)];
    case 'review.created':
      return [
        tag('Product', event.payload.productId),
        tag('User', event.payload.userId),
        tag('Review', event.payload.reviewId),
      ];
    case 'user.updated':
      return [tag('User', event.payload.userId)];
    case 'payment.refunded':
      return [tag('Order', event.payload.orderId), tag('Payment', event.payload.paymentId)];
  }
}

/**
 * Handlers that drop the entries of what each event changed. Deleting is idempotent by nature, so
 * they need no inbox (the gateway has no database): a redelivered event deletes nothing more. A
 * failed deletion throws, leaving the event pending for redelivery.
 */
export function invalidationHandlers(runtime: CacheRuntime): IdempotentEventHandlers {
  const handle = async (event: DomainEvent) => {
    const tags = tagsOfEvent(event);
    if ((await runtime.invalidate(tags, 'event')) === null) throw new Error(`could not invalidate ${tags.join(', ')}`);
  };
  return {
    'stock.changed': handle,
    'order.confirmed': handle,
    'order.cancelled': handle,
    'order.failed': handle,
    'review.created': handle,
    'user.updated': handle,
    'payment.refunded': handle,
  };
}

/**
 * Each gateway consumes the domain events in a consumer group of its own name: the cache lives in
 * Redis, shared by the replicas, so one replica's deletion invalidates for all of them.
 */
export function startCacheInvalidation(options: {
  runtime: CacheRuntime;
  transport: EventTransport;
  group: string;
  logger: Logger;
}): Promise<RunningConsumer> {
  return options.transport.consumeWithoutInbox({
    group: options.group,
    handlers: invalidationHandlers(options.runtime),
    startAt: 'new',
  });
}
