import { setTimeout as sleep } from 'node:timers/promises';
import type { ProcessorConfig } from './config.ts';
import { memoryLedger, type ProcessorCapture, type ProcessorLedger } from './ledger.ts';
import { behaviourOf } from './testCards.ts';

export interface ChargeRequest {
  /** The saga id: a real processor takes it as the idempotency key, so a replayed call never captures twice. */
  idempotencyKey: string;
  amountCents: number;
  currency: string;
  card: { number: string; expMonth: number; expYear: number; cvc: string };
  /** 1 for the saga's first call to the processor, counted across retries and processes. */
  attempt: number;
}

export interface RefundRequest {
  idempotencyKey: string;
  amountCents: number;
  currency: string;
}

/** A processor's answer: a business outcome, or a failure that a retry of the same call may fix. */
export type ChargeDecision =
  { kind: 'captured' } | { kind: 'declined'; code: string } | { kind: 'unavailable'; reason: string };
export type RefundDecision = { kind: 'refunded' } | { kind: 'unavailable'; reason: string };
export type CaptureListing = { kind: 'listed'; captures: ProcessorCapture[] } | { kind: 'unavailable'; reason: string };

export interface CardProcessor {
  charge(request: ChargeRequest): Promise<ChargeDecision>;
  refund(request: RefundRequest): Promise<RefundDecision>;
  /**
   * The captures booked under these merchant references (idempotency keys), refunded or not: what a
   * real processor's "list charges by reference" offers, and the only way to learn the outcome of a
   * call whose answer was lost.
   */
  listCaptures(idempotencyKeys: readonly string[]): Promise<CaptureListing>;
}

export interface SimulatorOptions {
  /** Draws for the random failures; injectable for tests. */
  random?: () => number;
  /** The processor's books; in memory unless given (the service keeps them in Postgres). */
  ledger?: ProcessorLedger;
}

/**
 * The card processor, simulated: the configured latency on every call, random transient failures at
 * the configured rate, then the test card's behaviour. Captures and refunds are booked in `ledger`
 * once per idempotency key, so a replayed charge answers the first capture instead of taking more.
 */
export function createCardProcessor(config: ProcessorConfig, options: SimulatorOptions = {}): CardProcessor {
  const random = options.random ?? Math.random;
  const ledger = options.ledger ?? memoryLedger();
  const outage = async (): Promise<{ kind: 'unavailable'; reason: string } | null> => {
    if (config.latencyMs > 0) await sleep(config.latencyMs);
    return random() < config.failureRate ? { kind: 'unavailable', reason: 'processor_unavailable' } : null;
  };
  return {
    async charge(request) {
      const failed = await outage();
      if (failed) return failed;
      if ((await ledger.captures([request.idempotencyKey])).length) return { kind: 'captured' };
      const behaviour = behaviourOf(request.card.number);
      if (behaviour.kind === 'decline') return { kind: 'declined', code: behaviour.code };
      if (behaviour.kind === 'fail' && request.attempt <= behaviour.firstAttempts)
        return { kind: 'unavailable', reason: 'processing_error' };
      await ledger.capture(request);
      return { kind: 'captured' };
    },
    async refund(request) {
      const failed = await outage();
      if (failed) return failed;
      await ledger.refund(request);
      return { kind: 'refunded' };
    },
    async listCaptures(idempotencyKeys) {
      return (await outage()) ?? { kind: 'listed', captures: await ledger.captures(idempotencyKeys) };
    },
  };
}
