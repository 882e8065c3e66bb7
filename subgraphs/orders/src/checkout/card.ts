import { isExpired, passesLuhn } from '../../../../lib/cards.ts';
import { appError } from '../../../../lib/errors.ts';
import type { PaymentCard } from '../saga/providers.ts';

export interface CardInput {
  number: string;
  expMonth: number;
  expYear: number;
  cvc: string;
}

function invalid(field: keyof CardInput, message: string) {
  return appError('BAD_USER_INPUT', `input.paymentMethod.${field}: ${message}`, {
    argumentName: 'input',
    field: `paymentMethod.${field}`,
  });
}

/**
 * The card as payments will be sent it, checked first so a mistyped card is BAD_USER_INPUT at once
 * rather than a FAILED order after stock was held. A card is valid through the end of its expiry month.
 */
export function parseCard(input: CardInput, now = new Date()): PaymentCard {
  const number = input.number.replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(number)) throw invalid('number', 'a card number has 12 to 19 digits');
  if (!passesLuhn(number)) throw invalid('number', 'not a valid card number');
  if (!Number.isInteger(input.expMonth) || input.expMonth < 1 || input.expMonth > 12)
    throw invalid('expMonth', 'must be between 1 and 12');
  if (!Number.isInteger(input.expYear) || input.expYear < 2000 || input.expYear > 2100)
    throw invalid('expYear', 'must be a four-digit year');
  if (isExpired(input.expMonth, input.expYear, now)) throw invalid('expYear', 'the card has expired');
  if (!/^\d{3,4}$/.test(input.cvc)) throw invalid('cvc', 'must be 3 or 4 digits');
  return { number, expMonth: input.expMonth, expYear: input.expYear, cvc: input.cvc };
}
