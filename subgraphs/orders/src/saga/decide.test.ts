// The saga's decisions from its log alone: the same log gives the same next step to the runner that
// placed the order and to a recovery worker after a crash.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { orderEvent, type NewOrderEvent } from '../eventStore/events.ts';
import { fold } from '../readModel/fold.ts';
import { decide } from './decide.ts';

const orderId = randomUUID();
const deadline = new Date('2030-01-01T00:00:00Z');

function stream(...events: NewOrderEvent[]) {
  const placed = orderEvent('OrderPlaced', {
    orderId,
    userId: randomUUID(),
    currency: 'USD',
    totalCents: 500,
    items: [{ id: randomUUID(), productId: randomUUID(), quantity: 1, unitPriceCents: 500, position: 0 }],
    checkout: { deadline: deadline.toISOString() },
  });
  const all = [placed, ...events].map((e, i) => ({ ...e, streamId: orderId, version: i + 1 }));
  return fold(orderId, all);
}

const before = { now: deadline.getTime() - 1000, canCharge: true };
const started = (step: 'RESERVE_STOCK' | 'CHARGE_PAYMENT' | 'COMMIT_STOCK' | 'REFUND_PAYMENT' | 'RELEASE_STOCK') =>
  orderEvent('SagaStepStarted', { step, attempt: 1 });
const ok = (step: 'RESERVE_STOCK' | 'CHARGE_PAYMENT' | 'COMMIT_STOCK' | 'REFUND_PAYMENT' | 'RELEASE_STOCK') =>
  orderEvent('SagaStepSucceeded', { step, detail: null });

describe('checkout saga decisions', () => {
  it('goes reserve, charge, confirm, commit, finish', () => {
    expect(decide(stream(started('RESERVE_STOCK')), before)).toEqual({ type: 'call', step: 'RESERVE_STOCK' });
    expect(decide(stream(started('RESERVE_STOCK'), ok('RESERVE_STOCK')), before)).toEqual({
      type: 'call',
      step: 'CHARGE_PAYMENT',
    });
    const charged = [started('RESERVE_STOCK'), ok('RESERVE_STOCK'), started('CHARGE_PAYMENT'), ok('CHARGE_PAYMENT')];
    expect(decide(stream(...charged), before)).toEqual({ type: 'confirm' });
    const confirmed = [...charged, orderEvent('OrderConfirmed', {}), started('COMMIT_STOCK')];
    expect(decide(stream(...confirmed), before)).toEqual({ type: 'call', step: 'COMMIT_STOCK' });
    expect(decide(stream(...confirmed, ok('COMMIT_STOCK')), before)).toEqual({ type: 'finish' });
    expect(
      decide(stream(...confirmed, ok('COMMIT_STOCK'), orderEvent('SagaCompleted', { outcome: 'SUCCEEDED' })), before),
    ).toEqual({ type: 'done' });
  });

  it('goes forward past the pivot, deadline or not, card or not', () => {
    const charged = stream(
      started('RESERVE_STOCK'),
      ok('RESERVE_STOCK'),
      started('CHARGE_PAYMENT'),
      ok('CHARGE_PAYMENT'),
    );
    expect(decide(charged, { now: deadline.getTime() + 1, canCharge: false })).toEqual({ type: 'confirm' });
  });

  it('compensates at the deadline, and without the card, refunding only a charge that may have happened', () => {
    const reserving = stream(started('RESERVE_STOCK'));
    expect(decide(reserving, { now: deadline.getTime(), canCharge: true })).toMatchObject({
      type: 'compensate',
      failStep: 'RESERVE_STOCK',
    });
    const charging = stream(started('RESERVE_STOCK'), ok('RESERVE_STOCK'), started('CHARGE_PAYMENT'));
    expect(decide(charging, { ...before, canCharge: false })).toMatchObject({
      type: 'compensate',
      failStep: 'CHARGE_PAYMENT',
    });
    const compensating = stream(
      started('RESERVE_STOCK'),
      ok('RESERVE_STOCK'),
      started('CHARGE_PAYMENT'),
      orderEvent('SagaCompensationStarted', { reason: 'deadline' }),
    );
    expect(decide(compensating, before)).toEqual({ type: 'call', step: 'REFUND_PAYMENT' });
    const declined = stream(
      started('RESERVE_STOCK'),
      ok('RESERVE_STOCK'),
      started('CHARGE_PAYMENT'),
      orderEvent('SagaStepFailed', {
        step: 'CHARGE_PAYMENT',
        error: 'payment declined (card_declined)',
        final: true,
        effect: 'none',
      }),
      orderEvent('SagaCompensationStarted', { reason: 'payment declined (card_declined)' }),
    );
    expect(decide(declined, before)).toEqual({ type: 'call', step: 'RELEASE_STOCK' });
  });
});
