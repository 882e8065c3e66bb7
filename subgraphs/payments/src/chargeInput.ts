import { badUserInput } from '../../../lib/errors.ts';
import { parseId } from '../../../lib/graphql/index.ts';
import type { ChargeInput } from './__generated__/resolvers-types.ts';
import { isExpired, passesLuhn } from './processor/index.ts';

/** Above this a charge is a mistake (a price in the wrong unit), not an order. */
export const MAX_AMOUNT_CENTS = 100_000_000;

export interface ValidCharge {
  sagaId: string;
  orderId: string;
  amountCents: number;
  currency: string;
  card: { number: string; expMonth: number; expYear: number; cvc: string };
}

/** A chargePayment input the processor may see: BAD_USER_INPUT naming the field otherwise. */
export function parseChargeInput(input: ChargeInput, now: Date = new Date()): ValidCharge {
  const sagaId = parseId(input.sagaId, 'input.sagaId');
  const orderId = parseId(input.orderId, 'input.orderId');
  if (!Number.isInteger(input.amountCents) || input.amountCents < 1 || input.amountCents > MAX_AMOUNT_CENTS) {
    throw badUserInput(`"input.amountCents" must be between 1 and ${MAX_AMOUNT_CENTS}`, 'input.amountCents');
  }
  if (!/^[A-Z]{3}$/.test(input.currency))
    throw badUserInput('"input.currency" must be an ISO 4217 code such as USD', 'input.currency');
  const { card } = input;
  // Spaces are how people group the digits; nothing else is allowed in a number.
  const number = card.number.replaceAll(' ', '');
  if (!/^\d{12,19}$/.test(number) || !passesLuhn(number))
    throw badUserInput('"input.card.number" is not a valid card number', 'input.card.number');
  if (!Number.isInteger(card.expMonth) || card.expMonth < 1 || card.expMonth > 12)
    throw badUserInput('"input.card.expMonth" must be between 1 and 12', 'input.card.expMonth');
  if (!Number.isInteger(card.expYear) || card.expYear < 1000 || card.expYear > 9999)
    throw badUserInput('"input.card.expYear" must be a four-digit year', 'input.card.expYear');
  if (isExpired(card.expMonth, card.expYear, now)) {
    const field = card.expYear < now.getUTCFullYear() ? 'input.card.expYear' : 'input.card.expMonth';
    throw badUserInput('The card has expired', field);
  }
  if (!/^\d{3,4}$/.test(card.cvc)) throw badUserInput('"input.card.cvc" must be 3 or 4 digits', 'input.card.cvc');
  return {
    sagaId,
    orderId,
    amountCents: input.amountCents,
    currency: input.currency,
    card: { number, expMonth: card.expMonth, expYear: card.expYear, cvc: card.cvc },
  };
}
