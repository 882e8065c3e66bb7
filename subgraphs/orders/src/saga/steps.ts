import { describeServiceFailure, ServiceGraphQLError } from '../../../../lib/serviceClient/index.ts';
import type { StepName } from '../eventStore/events.ts';
import type { SagaView, StreamView } from '../readModel/fold.ts';
import type { PaymentCard, Providers, StockHold } from './providers.ts';

/** A line a reservation could not meet: what was asked and what was available then. */
export type StockShortage = NonNullable<StockHold['shortages']>[number];

/**
 * How one attempt of a step ended:
 * - `ok`: done (`detail` is what the provider said, for the log);
 * - `refused`: a definite business answer that ends the step (no stock, declined card); `effect`
 *   'none' when the provider says nothing happened, so there is nothing to undo;
 * - `transient`: no usable answer (timeout, unreachable, processor unavailable); try again.
 */
export type StepOutcome =
  | { kind: 'ok'; detail: string | null }
  | { kind: 'refused'; error: string; effect: 'none' | 'unknown'; shortages?: StockShortage[] }
  | { kind: 'transient'; error: string };

/** Provider refusals no retry can change: the request itself is wrong for that provider. */
const PERMANENT_CODES = new Set(['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED']);

const SERVICE_OF: Record<StepName, 'inventory' | 'payments'> = {
  RESERVE_STOCK: 'inventory',
  CHARGE_PAYMENT: 'payments',
  COMMIT_STOCK: 'inventory',
  REFUND_PAYMENT: 'payments',
  RELEASE_STOCK: 'inventory',
};

function describeShortages(hold: StockHold): string {
  const lines = (hold.shortages ?? []).map(
    (s) => `${s.productId} (requested ${s.requested}, available ${s.available})`,
  );
  return `out of stock${lines.length ? `: ${lines.join(', ')}` : ''}`.slice(0, 500);
}

async function call(
  saga: SagaView,
  view: StreamView,
  step: StepName,
  providers: Providers,
  card: PaymentCard | null,
): Promise<StepOutcome> {
  const userId = view.userId;
  if (!userId) throw new Error(`Saga ${saga.id} has no buyer`);
  // The charge and the hold belong to the checkout saga, whose id is the order id, whichever saga undoes them.
  const sagaId = saga.orderId;
  const reason = (saga.reason ?? 'compensation').slice(0, 500);
  switch (step) {
    case 'RESERVE_STOCK': {
      const hold = await providers.reserveStock(
        userId,
        sagaId,
        view.items.map(({ productId, quantity }) => ({ productId, quantity })),
      );
      if (hold.status === 'HELD' || hold.status === 'COMMITTED') return { kind: 'ok', detail: hold.status };
      if (hold.status === 'REJECTED')
        return { kind: 'refused', error: describeShortages(hold), effect: 'none', shortages: hold.shortages ?? [] };
      return { kind: 'refused', error: `the stock hold was already ${hold.status.toLowerCase()}`, effect: 'unknown' };
    }
    case 'CHARGE_PAYMENT': {
      if (!card || !view.order) throw new Error(`Saga ${saga.id} cannot charge without a card and an order`);
      const result = await providers.chargePayment(userId, {
        sagaId,
        orderId: view.order.id,
        amountCents: view.order.totalCents,
        currency: view.order.currency,
        card,
      });
      if (result.outcome === 'CAPTURED') return { kind: 'ok', detail: result.outcome };
      if (result.outcome === 'DECLINED')
        return {
          kind: 'refused',
          error: `payment declined (${result.declineCode ?? 'card_declined'})`,
          effect: 'none',
        };
      return { kind: 'refused', error: `the payment was already ${result.outcome.toLowerCase()}`, effect: 'unknown' };
    }
    case 'COMMIT_STOCK': {
      const hold = await providers.commitStock(userId, sagaId);
      return { kind: 'ok', detail: hold.status };
    }
    case 'REFUND_PAYMENT': {
      const result = await providers.refundPayment(userId, sagaId, reason);
      if (result.outcome === 'CAPTURED') return { kind: 'transient', error: 'payments: the charge is still captured' };
      return { kind: 'ok', detail: result.outcome };
    }
    case 'RELEASE_STOCK': {
      const hold = await providers.releaseStock(userId, sagaId, reason);
      if (hold.status === 'HELD' || hold.status === 'COMMITTED')
        return { kind: 'transient', error: `inventory: the stock hold is still ${hold.status.toLowerCase()}` };
      return { kind: 'ok', detail: hold.status };
    }
  }
}

/** Runs one attempt of a step; every failure becomes an outcome, never an exception. */
export async function performStep(
  view: StreamView,
  step: StepName,
  providers: Providers,
  card: PaymentCard | null,
): Promise<StepOutcome> {
  const saga = view.saga;
  if (!saga) throw new Error(`Stream ${view.streamId} has no saga`);
  try {
    return await call(saga, view, step, providers, card);
  } catch (error) {
    const service = SERVICE_OF[step];
    const description = describeServiceFailure(service, error);
    if (error instanceof ServiceGraphQLError && error.code && PERMANENT_CODES.has(error.code))
      return { kind: 'refused', error: description, effect: 'unknown' };
    return { kind: 'transient', error: description };
  }
}
