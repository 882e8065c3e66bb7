import { randomUUID } from 'node:crypto';
import { badUserInput } from '../../../lib/errors.ts';
import type { ValidCharge } from './chargeInput.ts';
import { cardBrand, type ChargeDecision } from './processor/index.ts';
import {
  askProcessor,
  callInFlight,
  fromPayment,
  leaseMs,
  lockSaga,
  outcomeUnknown,
  processorUnavailable,
  transactionOptions,
  untilSettled,
  voided,
  type ChargeDeps,
  type ChargeResultValue,
  type Tx,
} from './sagaCharge.ts';

export { refundPayment } from './refunds.ts';
export type { ChargeDeps, ChargeOutcome, ChargeResultValue } from './sagaCharge.ts';

/** This caller now owns the saga's processor call: `lookFirst` when an earlier call's outcome is unknown. */
interface OwnedCall {
  attempt: number;
  lookFirst: boolean;
}

type CallOutcome = ChargeDecision | { kind: 'unknown' };

/**
 * Charges the card once per saga, never calling the processor inside a transaction:
 * 1. the intent is committed (callState PENDING, with a lease and what is asked), under the saga's lock;
 * 2. the processor is called, outside any transaction, bounded by the processor timeout;
 * 3. the outcome is recorded: CAPTURED or DECLINED as a payment, UNAVAILABLE, or UNKNOWN (no answer).
 * A duplicate arriving while a call is in flight waits for its outcome; one arriving after a call
 * whose outcome was never recorded (its caller died, timed out, or failed to record) first asks the
 * processor for the saga's captures, and records the capture it finds instead of charging again.
 * The saga id is the processor's idempotency key, so even a replayed call captures once.
 */
export async function chargePayment(deps: ChargeDeps, charge: ValidCharge, userId: string): Promise<ChargeResultValue> {
  const known = await deps.prisma.payment.findUnique({ where: { sagaId: charge.sagaId } });
  if (known) return fromPayment(known);
  const next = await untilSettled(deps, () =>
    deps.prisma.$transaction((tx) => claimCall(tx, deps, charge, userId), transactionOptions(deps)),
  );
  if (!('attempt' in next)) return next;
  return (
    (await recordOutcome(deps, charge, userId, next.attempt, await callProcessor(deps, charge, next))) ??
    processorUnavailable(next.lookFirst ? 'the outcome of an earlier call is not known yet' : 'nothing was charged')
  );
}

async function claimCall(
  tx: Tx,
  deps: ChargeDeps,
  charge: ValidCharge,
  userId: string,
): Promise<ChargeResultValue | OwnedCall | 'wait'> {
  const saga = await lockSaga(tx, charge.sagaId);
  const payment = await tx.payment.findUnique({ where: { sagaId: charge.sagaId } });
  if (payment) return fromPayment(payment);
  if (saga.voidedAt) return voided(charge.sagaId);
  if (await tx.payment.findUnique({ where: { orderId: charge.orderId }, select: { id: true } })) {
    throw badUserInput('This order was already charged by another saga', 'input.orderId');
  }
  const now = new Date();
  if (callInFlight(saga, now)) return 'wait';
  const attempt = saga.attempts + 1;
  await tx.sagaCharge.update({
    where: { sagaId: charge.sagaId },
    data: {
      attempts: attempt,
      callState: 'PENDING',
      callUntil: new Date(now.getTime() + leaseMs(deps)),
      orderId: charge.orderId,
      userId,
      amountCents: charge.amountCents,
      currency: charge.currency,
      cardBrand: cardBrand(charge.card.number),
      cardLast4: charge.card.number.slice(-4),
    },
  });
  return { attempt, lookFirst: outcomeUnknown(saga) };
}

async function callProcessor(deps: ChargeDeps, charge: ValidCharge, call: OwnedCall): Promise<CallOutcome> {
  if (call.lookFirst) {
    const listing = await askProcessor(deps, () => deps.processor.listCaptures([charge.sagaId]));
    if (listing.kind !== 'listed') return { kind: 'unknown' };
    if (listing.captures.length > 0) return { kind: 'captured' };
  }
  return askProcessor(deps, () =>
    deps.processor.charge({
      idempotencyKey: charge.sagaId,
      amountCents: charge.amountCents,
      currency: charge.currency,
      card: charge.card,
      attempt: call.attempt,
    }),
  );
}

/** Records what the processor said; null when nothing is known to be charged (the caller retries). */
async function recordOutcome(
  deps: ChargeDeps,
  charge: ValidCharge,
  userId: string,
  attempt: number,
  outcome: CallOutcome,
): Promise<ChargeResultValue | null> {
  if (outcome.kind === 'captured' && deps.faultAt === 'record-capture')
    throw new Error('Injected fault (PAYMENTS_FAULT_AT=record-capture): the capture was not recorded');
  return deps.prisma.$transaction(async (tx) => {
    const saga = await lockSaga(tx, charge.sagaId);
    const payment = await tx.payment.findUnique({ where: { sagaId: charge.sagaId } });
    if (payment) return fromPayment(payment);
    const where = { sagaId: charge.sagaId };
    if (outcome.kind === 'unavailable' || outcome.kind === 'unknown') {
      // A newer call took over (this one outlived its lease): its record stands.
      if (saga.attempts === attempt)
        await tx.sagaCharge.update({
          where,
          data: { callState: outcome.kind === 'unavailable' ? 'UNAVAILABLE' : 'UNKNOWN', callUntil: null },
        });
      return null;
    }
    // A capture is recorded even on a saga voided meanwhile: money taken is never forgotten, and
    // reconcile reports a captured payment of a failed order for refund.
    await tx.sagaCharge.update({
      where,
      data: { callState: outcome.kind === 'captured' ? 'CAPTURED' : 'DECLINED', callUntil: null },
    });
    const created = await tx.payment.create({
      data: {
        id: randomUUID(),
        sagaId: charge.sagaId,
        orderId: charge.orderId,
        userId,
        status: outcome.kind === 'captured' ? 'CAPTURED' : 'DECLINED',
        declineCode: outcome.kind === 'declined' ? outcome.code : null,
        amountCents: charge.amountCents,
        currency: charge.currency,
        cardBrand: cardBrand(charge.card.number),
        cardLast4: charge.card.number.slice(-4),
      },
    });
    return fromPayment(created);
  }, transactionOptions(deps));
}
