import { createHash } from 'node:crypto';
import { requireOwner, type Identity } from '../../../../lib/auth/index.ts';
import { appError, badUserInput, notFound } from '../../../../lib/errors.ts';
import { parseId } from '../../../../lib/graphql/index.ts';
import { TX_OPTIONS, type OrderRecord } from '../db.ts';
import { appendToStream, StreamConflict } from '../eventStore/eventStore.ts';
import { orderEvent } from '../eventStore/events.ts';
import { emptyStream, fold } from '../readModel/fold.ts';
import { projectChange } from '../readModel/project.ts';
import { takeLease } from '../saga/lease.ts';
import type { CheckoutDeps } from './placeOrder.ts';

const DEFAULT_REASON = 'cancelled by the customer';
const MAX_REASON_LENGTH = 500;

/**
 * An order's cancellation saga id, derived from the order id: two cancelOrder calls race for the
 * first version of the same stream, so an order is never cancelled by two sagas.
 */
export function cancellationIdOf(orderId: string): string {
  const hex = createHash('sha256').update(`orders:cancellation:${orderId}`).digest('hex');
  const variant = ((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function notCancellable(orderId: string, status: string, message: string) {
  return appError('BAD_USER_INPUT', message, { argumentName: 'orderId', orderId, orderStatus: status });
}

/**
 * `cancelOrder`: a CONFIRMED order gets a cancellation saga (refund with the checkout saga's id,
 * return the stock, then CANCELLED and `order.cancelled`), started in the background; FAILED and
 * CANCELLED orders are returned as they are. The order returned is still CONFIRMED until the saga
 * finishes; `Order.cancellation` shows its progress.
 */
export async function cancelOrder(
  deps: CheckoutDeps,
  identity: Identity,
  rawOrderId: string,
  rawReason: string | null | undefined,
): Promise<OrderRecord> {
  const orderId = parseId(rawOrderId, 'orderId');
  const reason = rawReason?.trim() || DEFAULT_REASON;
  if (reason.length > MAX_REASON_LENGTH)
    throw badUserInput(`"reason" must be at most ${MAX_REASON_LENGTH} characters`, 'reason');
  const order = await deps.prisma.order.findUnique({ where: { id: orderId } });
  if (!order) throw notFound('Order', orderId);
  requireOwner(identity, order.userId, 'orders');
  switch (order.status) {
    case 'FAILED':
    case 'CANCELLED':
      return order;
    case 'PENDING':
      throw notCancellable(
        orderId,
        order.status,
        'The order is still being checked out; it can be cancelled once it is confirmed',
      );
    case 'SHIPPED':
    case 'DELIVERED':
      throw notCancellable(orderId, order.status, 'The order has shipped and can no longer be cancelled');
    case 'CONFIRMED':
      break;
  }
  const checkout = await deps.prisma.saga.findUnique({ where: { id: orderId }, select: { state: true } });
  if (!checkout)
    throw notCancellable(
      orderId,
      order.status,
      'This order was placed before online checkout and cannot be cancelled here',
    );
  if (checkout.state !== 'SUCCEEDED')
    throw notCancellable(orderId, order.status, 'The order is still being confirmed; try again in a moment');

  const cancellationId = cancellationIdOf(orderId);
  const requested = await deps.prisma
    .$transaction(async (tx) => {
      const stored = await appendToStream(tx, cancellationId, 0, [
        orderEvent('CancellationRequested', { orderId, userId: order.userId, reason }),
      ]);
      await projectChange(tx, emptyStream(cancellationId), fold(cancellationId, stored));
      await takeLease(tx, cancellationId, deps.runner.owner, deps.saga.leaseMs);
      return true;
    }, TX_OPTIONS)
    .catch((error: unknown) => {
      // The stream has its first event already: this order's cancellation was asked before.
      if (error instanceof StreamConflict) return false;
      throw error;
    });
  deps.logger.info(
    { orderId, cancellationId, requested },
    requested ? 'order cancellation started' : 'order cancellation already asked',
  );
  // An earlier cancellation nobody drives any more is resumed; one being driven is left alone (lease).
  if (requested) deps.runner.metrics?.started('CANCELLATION');
  deps.runner.launch(cancellationId, requested ? { leased: true } : {});
  return order;
}
