import type { StepName } from '../eventStore/events.ts';
import { isTerminal, type SagaStepView, type SagaView, type StreamView } from '../readModel/fold.ts';

/**
 * What a saga does next, decided from its folded log alone, so the runner that placed the order and
 * a recovery worker on another replica after a crash take the same decisions.
 * - `call`: run (or re-run: every step is idempotent by saga id) a step at its provider;
 * - `confirm`: the pivot succeeded, record the order confirmed (then commit the stock);
 * - `compensate`: turn back, for `reason`; `failStep` is a forward step to mark given up;
 * - `finish`: record the terminal events;
 * - `done`: terminal already.
 */
export type SagaAction =
  | { type: 'call'; step: StepName }
  | { type: 'confirm' }
  | { type: 'compensate'; reason: string; failStep: StepName | null }
  | { type: 'finish' }
  | { type: 'done' };

export interface DecisionContext {
  now: number;
  /**
   * Whether this runner holds the buyer's card. Cards are never stored, so a saga resumed without
   * one (recovery after a crash) cannot charge: it compensates unless the charge is already on record.
   */
  canCharge: boolean;
}

const stepOf = (saga: SagaView, name: StepName): SagaStepView | undefined => saga.steps.find((s) => s.name === name);
const succeeded = (step: SagaStepView | undefined) => step?.status === 'SUCCEEDED';
/** A step that ran (or may have) and whose effect is not known to be nil needs its compensation. */
const mayHaveEffect = (step: SagaStepView | undefined) =>
  step !== undefined && !(step.status === 'FAILED' && step.effect === 'none');

function lastError(saga: SagaView): string | null {
  const failed = saga.steps.filter((s) => s.error).sort((a, b) => b.at.getTime() - a.at.getTime());
  return failed[0]?.error ?? null;
}

function decideCheckout(view: StreamView, saga: SagaView, context: DecisionContext): SagaAction {
  const reserve = stepOf(saga, 'RESERVE_STOCK');
  const charge = stepOf(saga, 'CHARGE_PAYMENT');
  if (saga.state === 'COMPENSATING') {
    if (mayHaveEffect(charge) && !succeeded(stepOf(saga, 'REFUND_PAYMENT')))
      return { type: 'call', step: 'REFUND_PAYMENT' };
    if (mayHaveEffect(reserve) && !succeeded(stepOf(saga, 'RELEASE_STOCK')))
      return { type: 'call', step: 'RELEASE_STOCK' };
    return { type: 'finish' };
  }
  // Past the pivot the saga only goes forward: the order is confirmed, the reservation committed.
  const commit = stepOf(saga, 'COMMIT_STOCK');
  if (commit || view.order?.status === 'CONFIRMED')
    return succeeded(commit) ? { type: 'finish' } : { type: 'call', step: 'COMMIT_STOCK' };
  if (succeeded(charge)) return { type: 'confirm' };
  const running = [reserve, charge].find((s) => s?.status === 'RUNNING')?.name ?? null;
  const failed = [reserve, charge].find((s) => s?.status === 'FAILED');
  if (failed) return { type: 'compensate', reason: failed.error ?? `${failed.name} failed`, failStep: null };
  if (saga.deadline && context.now >= saga.deadline.getTime()) {
    const cause = lastError(saga);
    return { type: 'compensate', reason: `checkout deadline passed${cause ? `: ${cause}` : ''}`, failStep: running };
  }
  if (!context.canCharge)
    return {
      type: 'compensate',
      reason:
        'checkout was interrupted before the payment and cannot resume without the card (cards are never stored); nothing stays charged',
      failStep: running,
    };
  return succeeded(reserve) ? { type: 'call', step: 'CHARGE_PAYMENT' } : { type: 'call', step: 'RESERVE_STOCK' };
}

/** A cancellation only goes forward: refund, return the stock, record the order cancelled. */
function decideCancellation(saga: SagaView): SagaAction {
  if (!succeeded(stepOf(saga, 'REFUND_PAYMENT'))) return { type: 'call', step: 'REFUND_PAYMENT' };
  if (!succeeded(stepOf(saga, 'RELEASE_STOCK'))) return { type: 'call', step: 'RELEASE_STOCK' };
  return { type: 'finish' };
}

export function decide(view: StreamView, context: DecisionContext): SagaAction {
  const saga = view.saga;
  if (!saga || isTerminal(saga)) return { type: 'done' };
  return saga.kind === 'CHECKOUT' ? decideCheckout(view, saga, context) : decideCancellation(saga);
}

/** Steps taken before the pivot are bounded by the deadline; the others retry until they succeed. */
export function isBoundedByDeadline(step: StepName): boolean {
  return step === 'RESERVE_STOCK' || step === 'CHARGE_PAYMENT';
}
