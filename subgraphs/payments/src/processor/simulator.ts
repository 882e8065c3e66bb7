import { setTimeout as sleep } from 'node:timers/promises';
import type { ProcessorConfig } from './config.ts';
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

export interface CardProcessor {
  charge(request: ChargeRequest): Promise<ChargeDecision>;
  refund(request: RefundRequest): Promise<RefundDecision>;
}

/**
 * The card processor, simulated: the configured latency on every call, random transient failures at
 * the configured rate, then the test card's behaviour. `random` is injectable for tests.
 */
export function createCardProcessor(config: ProcessorConfig, random: () => number = Math.random): CardProcessor {
  const outage = async (): Promise<{ kind: 'unavailable'; reason: string } | null> => {
    if (config.latencyMs > 0) await sleep(config.latencyMs);
    return random() < config.failureRate ? { kind: 'unavailable', reason: 'processor_unavailable' } : null;
  };
  return {
    async charge(request) {
      const failed = await outage();
      if (failed) return failed;
      const behaviour = behaviourOf(request.card.number);
      if (behaviour.kind === 'decline') return { kind: 'declined', code: behaviour.code };
      if (behaviour.kind === 'fail' && request.attempt <= behaviour.firstAttempts)
        return { kind: 'unavailable', reason: 'processing_error' };
      return { kind: 'captured' };
    },
    async refund() {
      return (await outage()) ?? { kind: 'refunded' };
    },
  };
}
