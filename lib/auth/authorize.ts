import { forbidden, unauthenticated } from '../errors.ts';
import type { Identity } from './identity.ts';

/** The signed-in user's id, or UNAUTHENTICATED. */
export function requireUser(identity: Identity): string {
  if (!identity.userId) throw unauthenticated();
  return identity.userId;
}

/**
 * Passes only when the signed-in user owns the thing (`ownerId`): UNAUTHENTICATED without a user,
 * FORBIDDEN for anyone else. The message names the kind of data, never the owner or the data.
 */
export function requireOwner(identity: Identity, ownerId: string, what: string): void {
  const userId = requireUser(identity);
  if (userId !== ownerId.toLowerCase()) throw forbidden(`You may only read your own ${what}`);
}

/**
 * Passes only a service-to-service call (the checkout saga's steps): FORBIDDEN for the gateways'
 * clients, whoever the user is, so no web or mobile caller can reserve stock or charge a card.
 */
export function requireService(identity: Identity): void {
  if (identity.client !== 'service') throw forbidden('Only internal services may call this operation');
}
