import { randomUUID } from 'node:crypto';
import { appendToOutbox, createEvent } from '../../../lib/events/index.ts';
import type { PaymentRecord } from './db.ts';
import {
  askProcessor,
  callInFlight,
  fromPayment,
  lockSaga,
  outcomeUnknown,
  processorUnavailable,
  transactionOptions,
  untilSettled,
  voided,
  type ChargeDeps,
  type ChargeResultValue,
  type SagaChargeRow,
  type Tx,
} from './sagaCharge.ts';

/** What to do after the first look under the saga's lock. */
type RefundPlan =
  | ChargeResultValue
  | { refund: PaymentRecord }
  /** No payment, but a call whose outcome was never recorded: the processor may hold a capture. */
  | { lookUp: SagaChargeRow };

/**
 * Refunds the saga's captured payment, and publishes `payment.refunded` in the transaction that
 * records it. The processor is called outside any transaction; its refund is idempotent by saga id,
 * so concurrent or repeated refunds return the money once and record (and publish) it once.
 * A saga never charged is VOIDED, so a late charge charges nothing. A saga whose last call's outcome
 * was never recorded is voided too, then the processor is asked for its captures: one found is
 * refunded and recorded REFUNDED (this is how compensation and `reconcile --repair` recover a capture
 * the database lost). A declined, refunded or voided one is answered as it stands.
 */
export async function refundPayment(deps: ChargeDeps, sagaId: string, reason: string): Promise<ChargeResultValue> {
  const plan = await untilSettled(deps, () =>
    deps.prisma.$transaction((tx) => planRefund(tx, sagaId, reason), transactionOptions(deps)),
  );
  if ('refund' in plan) return refundCapture(deps, plan.refund, reason);
  if ('lookUp' in plan) return recoverCapture(deps, plan.lookUp, reason);
  return plan;
}

async function planRefund(tx: Tx, sagaId: string, reason: string): Promise<RefundPlan | 'wait'> {
  const saga = await lockSaga(tx, sagaId);
  const payment = await tx.payment.findUnique({ where: { sagaId } });
  if (payment) return payment.status === 'CAPTURED' ? { refund: payment } : fromPayment(payment);
  // A call in flight may be capturing right now: voiding under it would leave its capture behind.
  if (callInFlight(saga, new Date())) return 'wait';
  if (!saga.voidedAt)
    await tx.sagaCharge.update({ where: { sagaId }, data: { voidedAt: new Date(), voidReason: reason } });
  return outcomeUnknown(saga) ? { lookUp: saga } : voided(sagaId);
}

async function refundCapture(deps: ChargeDeps, payment: PaymentRecord, reason: string): Promise<ChargeResultValue> {
  const decision = await askProcessor(deps, () =>
    deps.processor.refund({
      idempotencyKey: payment.sagaId,
      amountCents: payment.amountCents,
      currency: payment.currency,
    }),
  );
  if (decision.kind !== 'refunded') processorUnavailable('nothing was refunded yet');
  return recordRefund(deps, payment.sagaId, reason, null);
}

async function recoverCapture(deps: ChargeDeps, saga: SagaChargeRow, reason: string): Promise<ChargeResultValue> {
  const listing = await askProcessor(deps, () => deps.processor.listCaptures([saga.sagaId]));
  if (listing.kind !== 'listed') processorUnavailable('whether an earlier charge captured is not known yet');
  const [capture] = listing.captures;
  // Nothing captured so far: voided. The state stays UNKNOWN, so a later refund asks the processor again.
  if (!capture) return voided(saga.sagaId);
  if (!capture.refunded) {
    const decision = await askProcessor(deps, () =>
      deps.processor.refund({
        idempotencyKey: saga.sagaId,
        amountCents: capture.amountCents,
        currency: capture.currency,
      }),
    );
    if (decision.kind !== 'refunded') processorUnavailable('the capture found was not refunded yet');
  }
  const { orderId, userId, cardBrand, cardLast4 } = saga;
  if (!orderId || !userId || !cardBrand || !cardLast4)
    throw new Error(`saga ${saga.sagaId} called the processor without recording its intent`);
  return recordRefund(deps, saga.sagaId, reason, async (tx) => {
    await tx.sagaCharge.update({ where: { sagaId: saga.sagaId }, data: { callState: 'CAPTURED', callUntil: null } });
    return tx.payment.create({
      data: {
        id: randomUUID(),
        sagaId: saga.sagaId,
        orderId,
        userId,
        status: 'CAPTURED',
        amountCents: capture.amountCents,
        currency: capture.currency,
        cardBrand,
        cardLast4,
      },
    });
  });
}

/**
 * Marks the saga's payment REFUNDED and appends `payment.refunded`, once: a payment another call
 * recorded REFUNDED meanwhile is answered as it stands. `recordCapture` writes the CAPTURED payment
 * when the saga has none yet (a recovered capture is recorded, then refunded, in one transaction).
 */
function recordRefund(
  deps: ChargeDeps,
  sagaId: string,
  reason: string,
  recordCapture: ((tx: Tx) => Promise<PaymentRecord>) | null,
): Promise<ChargeResultValue> {
  return deps.prisma.$transaction(async (tx) => {
    await lockSaga(tx, sagaId);
    const payment = (await tx.payment.findUnique({ where: { sagaId } })) ?? (await recordCapture?.(tx));
    if (!payment) throw new Error(`saga ${sagaId} lost its payment while refunding it`);
    if (payment.status !== 'CAPTURED') return fromPayment(payment);
    const refunded = await tx.payment.update({ where: { id: payment.id }, data: { status: 'REFUNDED' } });
    const event = createEvent(
      'payment.refunded',
      {
        paymentId: refunded.id,
        orderId: refunded.orderId,
        amountCents: refunded.amountCents,
        currency: refunded.currency,
        reason,
      },
      { source: 'payments' },
    );
    await appendToOutbox(tx, event);
    return fromPayment(refunded);
  }, transactionOptions(deps));
}
