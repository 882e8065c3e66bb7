/**
 * What the simulator does with a card number, after the test cards of well-known processors:
 * approve, decline with a code, or fail transiently (always, or on the first attempts of a saga).
 */
export type CardBehaviour =
  { kind: 'approve' } | { kind: 'decline'; code: string } | { kind: 'fail'; firstAttempts: number };

const APPROVE: CardBehaviour = { kind: 'approve' };

export const TEST_CARDS: Readonly<Record<string, CardBehaviour>> = {
  '4242424242424242': APPROVE,
  '5555555555554444': APPROVE,
  '378282246310005': APPROVE,
  '4000000000000002': { kind: 'decline', code: 'card_declined' },
  '4000000000009995': { kind: 'decline', code: 'insufficient_funds' },
  '4000000000000069': { kind: 'decline', code: 'expired_card' },
  '4000000000000127': { kind: 'decline', code: 'incorrect_cvc' },
  '4000000000000119': { kind: 'fail', firstAttempts: Number.POSITIVE_INFINITY },
  '4000000000000259': { kind: 'fail', firstAttempts: 2 },
};

/** Any other valid number is approved, so a demo can pay with a card of its own choosing. */
export function behaviourOf(number: string): CardBehaviour {
  return TEST_CARDS[number] ?? APPROVE;
}
