import { randomUUID } from 'node:crypto';
import { appendToOutbox, createEvent } from '../../../lib/events/index.ts';
import { appError, badUserInput } from '../../../lib/errors.ts';
import type { ValidCharge } from './chargeInput.ts';
import type { PaymentRecord, PaymentsPrisma, Prisma } from './db.ts';
import { cardBrand, type CardProcessor } from './processor/index.ts';

export type ChargeOutcome = 'CAPTURED' | 'DECLINED' | 'REFUNDED' | 'VOIDED';

/** Where a saga's charge stands, as the graph shows it. */
export interface ChargeResultValue {
  sagaId: string;
  outcome: ChargeOutcome;
  declineCode: string | null;
  payment: PaymentRecord | null;
}

export interface ChargeDeps {
  prisma: PaymentsPrisma;
  processor: CardProcessor;
  /** Added to the transaction timeout: the processor is called while the saga's row is locked. */
  processorLatencyMs: number;
}

type Tx = Prisma.TransactionClient;

const OUTCOME_OF_STATUS: Partial<Record<PaymentRecord['status'], ChargeOutcome>> = {
  CAPTURED: 'CAPTURED',
  DECLINED: 'DECLINED',
  REFUNDED: 'REFUNDED',
};

/** The outcome of a saga with a payment: sagas only ever store CAPTURED, DECLINED and REFUNDED ones. */
function fromPayment(payment: PaymentRecord): ChargeResultValue {
  const outcome = OUTCOME_OF_STATUS[payment.status];
  if (!outcome)
    throw new Error(`payment ${payment.id} of saga ${payment.sagaId} is ${payment.status}, which no saga step leaves`);
  return { sagaId: payment.sagaId, outcome, declineCode: payment.declineCode, payment };
}

function voided(sagaId: string): ChargeResultValue {
  return { sagaId, outcome: 'VOIDED', declineCode: null, payment: null };
}

function processorUnavailable(): never {
  throw appError(
    'PAYMENT_PROCESSOR_UNAVAILABLE',
    'The card processor is unavailable; nothing was charged. Retry with the same sagaId.',
  );
}

/**
 * Takes the saga's row lock, creating the row on the saga's first call: every charge and refund of
 * one saga runs after the previous one committed, so ten concurrent duplicates make one processor
 * call and nine answers of its outcome.
 */
async function lockSaga(tx: Tx, sagaId: string) {
  await tx.sagaCharge.createMany({ data: [{ sagaId }], skipDuplicates: true });
  await tx.$queryRawUnsafe(`SELECT 1 FROM "SagaCharge" WHERE "sagaId" = $1::uuid FOR UPDATE`, sagaId);
  return tx.sagaCharge.findUniqueOrThrow({ where: { sagaId } });
}

function transactionOptions(deps: ChargeDeps) {
  return { maxWait: 15_000, timeout: 15_000 + deps.processorLatencyMs };
}

/**
 * Charges the card once per saga. A saga with a payment answers its outcome; a VOIDED one charges
 * nothing. Otherwise the processor is asked, holding the saga's lock (a crash before commit leaves
 * no payment, and a real processor's idempotency key, the saga id, keeps the retry from capturing
 * twice): CAPTURED or DECLINED is stored as a payment; a transient failure stores only the attempt
 * and is PAYMENT_PROCESSOR_UNAVAILABLE.
 */
export async function chargePayment(deps: ChargeDeps, charge: ValidCharge, userId: string): Promise<ChargeResultValue> {
  const { prisma, processor } = deps;
  const known = await prisma.payment.findUnique({ where: { sagaId: charge.sagaId } });
  if (known) return fromPayment(known);
  const result = await prisma.$transaction(async (tx) => {
    const saga = await lockSaga(tx, charge.sagaId);
    const payment = await tx.payment.findUnique({ where: { sagaId: charge.sagaId } });
    if (payment) return fromPayment(payment);
    if (saga.voidedAt) return voided(charge.sagaId);
    if (await tx.payment.findUnique({ where: { orderId: charge.orderId }, select: { id: true } })) {
      throw badUserInput('This order was already charged by another saga', 'input.orderId');
    }
    const attempt = saga.attempts + 1;
    await tx.sagaCharge.update({ where: { sagaId: charge.sagaId }, data: { attempts: attempt } });
    const decision = await processor.charge({
      idempotencyKey: charge.sagaId,
      amountCents: charge.amountCents,
      currency: charge.currency,
      card: charge.card,
      attempt,
    });
    // The attempt must count even though the charge failed: return (commit) rather than throw (roll back).
    if (decision.kind === 'unavailable') return null;
    const created = await tx.payment.create({
      data: {
        id: randomUUID(),
        sagaId: charge.sagaId,
        orderId: charge.orderId,
        userId,
        status: decision.kind === 'captured' ? 'CAPTURED' : 'DECLINED',
        declineCode: decision.kind === 'declined' ? decision.code : null,
        amountCents: charge.amountCents,
        currency: charge.currency,
        cardBrand: cardBrand(charge.card.number),
        cardLast4: charge.card.number.slice(-4),
      },
    });
    return fromPayment(created);
  }, transactionOptions(deps));
  return result ?? processorUnavailable();
}

/**
 * Refunds the saga's captured payment and publishes `payment.refunded` in the same transaction. A
 * saga never charged (transient failures at most) is VOIDED, so a late charge charges nothing; a
 * declined, refunded or voided one is answered as it stands.
 */
export async function refundPayment(deps: ChargeDeps, sagaId: string, reason: string): Promise<ChargeResultValue> {
  const { prisma, processor } = deps;
  const result = await prisma.$transaction(async (tx) => {
    const saga = await lockSaga(tx, sagaId);
    const payment = await tx.payment.findUnique({ where: { sagaId } });
    if (!payment) {
      if (!saga.voidedAt)
        await tx.sagaCharge.update({ where: { sagaId }, data: { voidedAt: new Date(), voidReason: reason } });
      return voided(sagaId);
    }
    if (payment.status !== 'CAPTURED') return fromPayment(payment);
    const decision = await processor.refund({
      idempotencyKey: sagaId,
      amountCents: payment.amountCents,
      currency: payment.currency,
    });
    if (decision.kind === 'unavailable') return null;
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
  return result ?? processorUnavailable();
}
