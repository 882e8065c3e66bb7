import { setTimeout as sleep } from 'node:timers/promises';
import { appError } from '../../../lib/errors.ts';
import type { PaymentsFault } from './config.ts';
import type { PaymentRecord, PaymentsPrisma, Prisma } from './db.ts';
import type { CardProcessor } from './processor/index.ts';

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
  /** Payments' own transactions: short, since the processor is never called inside one. */
  transactionTimeoutMs: number;
  /** How long one processor call may take before its outcome is recorded UNKNOWN. */
  processorTimeoutMs: number;
  faultAt: PaymentsFault | null;
}

export type Tx = Prisma.TransactionClient;
export type SagaChargeRow = Awaited<ReturnType<typeof lockSaga>>;

/** How often a call waits to see another caller's processor call of the same saga recorded. */
const POLL_MS = 50;

const OUTCOME_OF_STATUS: Partial<Record<PaymentRecord['status'], ChargeOutcome>> = {
  CAPTURED: 'CAPTURED',
  DECLINED: 'DECLINED',
  REFUNDED: 'REFUNDED',
};

/** The outcome of a saga with a payment: sagas only ever store CAPTURED, DECLINED and REFUNDED ones. */
export function fromPayment(payment: PaymentRecord): ChargeResultValue {
  const outcome = OUTCOME_OF_STATUS[payment.status];
  if (!outcome)
    throw new Error(`payment ${payment.id} of saga ${payment.sagaId} is ${payment.status}, which no saga step leaves`);
  return { sagaId: payment.sagaId, outcome, declineCode: payment.declineCode, payment };
}

export function voided(sagaId: string): ChargeResultValue {
  return { sagaId, outcome: 'VOIDED', declineCode: null, payment: null };
}

export function processorUnavailable(detail = 'nothing was charged'): never {
  throw appError(
    'PAYMENT_PROCESSOR_UNAVAILABLE',
    `The card processor is unavailable; ${detail}. Retry with the same sagaId.`,
  );
}

/**
 * Takes the saga's row lock, creating the row on the saga's first call: the database steps of every
 * charge and refund of one saga run one after another. The lock is never held across a processor
 * call; a call in flight is the row's PENDING intent and its lease instead.
 */
export async function lockSaga(tx: Tx, sagaId: string) {
  await tx.sagaCharge.createMany({ data: [{ sagaId }], skipDuplicates: true });
  await tx.$queryRawUnsafe(`SELECT 1 FROM "SagaCharge" WHERE "sagaId" = $1::uuid FOR UPDATE`, sagaId);
  return tx.sagaCharge.findUniqueOrThrow({ where: { sagaId } });
}

/** Waiting for a pooled connection is not the transaction: it gets its own, roomier bound. */
const CONNECTION_WAIT_MS = 10_000;

export function transactionOptions(deps: ChargeDeps) {
  return { maxWait: CONNECTION_WAIT_MS, timeout: deps.transactionTimeoutMs };
}

/** How long a PENDING call belongs to its caller: its processor timeout, then the time to record the outcome. */
export function leaseMs(deps: ChargeDeps): number {
  return deps.processorTimeoutMs + deps.transactionTimeoutMs;
}

/** Another caller's processor call is in flight and its lease runs. */
export function callInFlight(saga: SagaChargeRow, now: Date): boolean {
  return saga.callState === 'PENDING' && saga.callUntil !== null && saga.callUntil > now;
}

/** A call whose outcome only the processor knows: no answer recorded (its caller died or timed out). */
export function outcomeUnknown(saga: SagaChargeRow): boolean {
  return saga.callState === 'PENDING' || saga.callState === 'UNKNOWN';
}

/**
 * Runs `step` (one transaction) until it answers, sleeping while it says another caller's call is in
 * flight; past `leaseMs` of waiting the saga is still busy and the caller is told to retry.
 */
export async function untilSettled<T>(deps: ChargeDeps, step: () => Promise<T | 'wait'>): Promise<T> {
  const giveUpAt = Date.now() + leaseMs(deps);
  for (;;) {
    const result = await step();
    if (result !== 'wait') return result;
    if (Date.now() >= giveUpAt) processorUnavailable('another call for this saga is still in flight');
    await sleep(POLL_MS);
  }
}

/**
 * One processor call, bounded by the processor timeout: no answer in time (or an error on the way)
 * is `unknown`, since the processor may still have done it; the call itself is not cancelled.
 */
export async function askProcessor<T extends { kind: string }>(
  deps: ChargeDeps,
  call: () => Promise<T>,
): Promise<T | { kind: 'unknown' }> {
  const timeout = new AbortController();
  try {
    return await Promise.race([
      call(),
      sleep(deps.processorTimeoutMs, { kind: 'unknown' } as const, { signal: timeout.signal }),
    ]);
  } catch {
    return { kind: 'unknown' };
  } finally {
    timeout.abort();
  }
}
