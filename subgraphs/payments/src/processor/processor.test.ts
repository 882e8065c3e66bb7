import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  cardBrand,
  createCardProcessor,
  isExpired,
  memoryLedger,
  passesLuhn,
  processorConfigFromEnv,
  TEST_CARDS,
  type ChargeRequest,
} from './index.ts';

const charge = (number: string, attempt = 1, idempotencyKey: string = randomUUID()): ChargeRequest => ({
  idempotencyKey,
  amountCents: 100,
  currency: 'USD',
  card: { number, expMonth: 12, expYear: 2099, cvc: '123' },
  attempt,
});

describe('card checks', () => {
  it('accepts every test card by Luhn and refuses a number with one digit changed', () => {
    for (const number of Object.keys(TEST_CARDS)) expect(passesLuhn(number)).toBe(true);
    expect(passesLuhn('4242424242424241')).toBe(false);
    expect(passesLuhn('79927398713')).toBe(true);
  });

  it('names the brand from the leading digits', () => {
    expect(
      ['4242424242424242', '5555555555554444', '2223003122003222', '378282246310005', '6011111111111117'].map(
        cardBrand,
      ),
    ).toEqual(['visa', 'mastercard', 'mastercard', 'amex', 'unknown']);
  });

  it('keeps a card valid through its expiry month', () => {
    const now = new Date('2026-11-26T10:00:00Z');
    expect([
      isExpired(11, 2026, now),
      isExpired(10, 2026, now),
      isExpired(1, 2027, now),
      isExpired(12, 2025, now),
    ]).toEqual([false, true, false, true]);
  });
});

describe('the simulated processor', () => {
  const processor = createCardProcessor({ latencyMs: 0, failureRate: 0, timeoutMs: 1000 });

  it('answers each test card as documented', async () => {
    const outcomes = await Promise.all(
      Object.keys(TEST_CARDS).map(async (number) => [number, await processor.charge(charge(number))] as const),
    );
    expect(Object.fromEntries(outcomes)).toEqual({
      '4242424242424242': { kind: 'captured' },
      '5555555555554444': { kind: 'captured' },
      '378282246310005': { kind: 'captured' },
      '4000000000000002': { kind: 'declined', code: 'card_declined' },
      '4000000000009995': { kind: 'declined', code: 'insufficient_funds' },
      '4000000000000069': { kind: 'declined', code: 'expired_card' },
      '4000000000000127': { kind: 'declined', code: 'incorrect_cvc' },
      '4000000000000119': { kind: 'unavailable', reason: 'processing_error' },
      '4000000000000259': { kind: 'unavailable', reason: 'processing_error' },
    });
  });

  it('fails 4000000000000259 on its first two attempts only, and 4000000000000119 always', async () => {
    const attempts = [1, 2, 3, 4];
    expect(
      (await Promise.all(attempts.map((a) => processor.charge(charge('4000000000000259', a))))).map((d) => d.kind),
    ).toEqual(['unavailable', 'unavailable', 'captured', 'captured']);
    expect(
      (await Promise.all(attempts.map((a) => processor.charge(charge('4000000000000119', a))))).map((d) => d.kind),
    ).toEqual(['unavailable', 'unavailable', 'unavailable', 'unavailable']);
  });

  it('fails at the configured rate whatever the card, refunds included', async () => {
    const draws = [0.1, 0.5, 0.29, 0.9];
    const flaky = createCardProcessor(
      { latencyMs: 0, failureRate: 0.3, timeoutMs: 1000 },
      { random: () => draws.shift() ?? 1 },
    );
    const decisions = [
      await flaky.charge(charge('4242424242424242')),
      await flaky.charge(charge('4242424242424242')),
      await flaky.refund({ idempotencyKey: 'k', amountCents: 1, currency: 'USD' }),
      await flaky.refund({ idempotencyKey: 'k', amountCents: 1, currency: 'USD' }),
    ];
    expect(decisions.map((d) => d.kind)).toEqual(['unavailable', 'captured', 'unavailable', 'refunded']);
  });
});

describe("the simulator's books", () => {
  it('captures once per idempotency key, even for calls in flight together, and lists the capture by that key', async () => {
    const ledger = memoryLedger();
    const processor = createCardProcessor({ latencyMs: 20, failureRate: 0, timeoutMs: 1000 }, { ledger });
    const key = randomUUID();
    const decisions = await Promise.all([1, 2, 3].map(() => processor.charge(charge('4242424242424242', 1, key))));
    expect(decisions.map((d) => d.kind)).toEqual(['captured', 'captured', 'captured']);
    expect(await processor.listCaptures([key, randomUUID()])).toEqual({
      kind: 'listed',
      captures: [
        {
          idempotencyKey: key,
          amountCents: 100,
          currency: 'USD',
          capturedAt: expect.any(Date) as unknown,
          refunded: false,
        },
      ],
    });
    // A replay answers the booked capture whatever the card says now.
    expect(await processor.charge(charge('4000000000000002', 2, key))).toEqual({ kind: 'captured' });
    await processor.refund({ idempotencyKey: key, amountCents: 100, currency: 'USD' });
    await processor.refund({ idempotencyKey: key, amountCents: 100, currency: 'USD' });
    expect(await ledger.captures([key])).toEqual([expect.objectContaining({ idempotencyKey: key, refunded: true })]);
  });

  it('books nothing for a decline or a transient failure', async () => {
    const processor = createCardProcessor({ latencyMs: 0, failureRate: 0, timeoutMs: 1000 });
    const [declined, failing] = [randomUUID(), randomUUID()];
    await processor.charge(charge('4000000000000002', 1, declined));
    await processor.charge(charge('4000000000000119', 1, failing));
    expect(await processor.listCaptures([declined, failing])).toEqual({ kind: 'listed', captures: [] });
  });
});

describe('processor configuration', () => {
  it('defaults to no latency and no random failures, and reads both from env', () => {
    expect(processorConfigFromEnv({})).toEqual({ latencyMs: 0, failureRate: 0, timeoutMs: 30_000 });
    expect(
      processorConfigFromEnv({
        PAYMENTS_PROCESSOR_LATENCY_MS: '250',
        PAYMENTS_PROCESSOR_FAILURE_RATE: '0.05',
        PAYMENTS_PROCESSOR_TIMEOUT_MS: '2000',
      }),
    ).toEqual({ latencyMs: 250, failureRate: 0.05, timeoutMs: 2000 });
  });

  it('refuses a bad value, naming the variable', () => {
    expect(() => processorConfigFromEnv({ PAYMENTS_PROCESSOR_FAILURE_RATE: '1.5' })).toThrow(
      /PAYMENTS_PROCESSOR_FAILURE_RATE/,
    );
    expect(() => processorConfigFromEnv({ PAYMENTS_PROCESSOR_LATENCY_MS: 'slow' })).toThrow(
      /PAYMENTS_PROCESSOR_LATENCY_MS/,
    );
  });
});
