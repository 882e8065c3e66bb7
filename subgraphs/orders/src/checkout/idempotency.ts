import { createHmac } from 'node:crypto';
import { cardBrand } from '../../../../lib/cards.ts';
import { appError, badUserInput } from '../../../../lib/errors.ts';
import type { OrdersDb, OrdersPrisma } from '../db.ts';
import type { PaymentCard } from '../saga/providers.ts';

/** How long a key is remembered; an older one is ignored (and purged by the recovery worker). */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 3600 * 1000;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export interface IdempotencyRecord {
  orderId: string;
  requestHash: string;
}

export function checkIdempotencyKey(key: string): string {
  if (key.length < 1 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw badUserInput(
      `"idempotencyKey" must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters, got ${key.length}`,
      'idempotencyKey',
    );
  }
  return key;
}

/** The HMAC key request hashes are made with, derived from the service's signing secret. */
export function idempotencyHashKey(secret: Uint8Array): Buffer {
  return createHmac('sha256', secret).update('orders:idempotency-key:v1').digest();
}

/**
 * The fingerprint of a checkout's input: the card's brand, last four digits and expiry (what
 * payments keeps too), never the CVC or the whole number: nothing derived from a CVC is kept once
 * the charge is authorized (PCI DSS 3.2.2), and the same card with a mistyped CVC is the same
 * request. An HMAC rather than a plain hash, so the stored value tells nothing without the secret.
 * `v2` names this layout; a key stored with an earlier one is answered as another input.
 */
export function requestHash(hashKey: Buffer, card: PaymentCard): string {
  const digits = card.number.replace(/\D/g, '');
  const normalized = JSON.stringify(['v2', cardBrand(digits), digits.slice(-4), card.expMonth, card.expYear]);
  return createHmac('sha256', hashKey).update(normalized).digest('base64url');
}

export function expiryCutoff(now = Date.now()): Date {
  return new Date(now - IDEMPOTENCY_KEY_TTL_MS);
}

/** The live record of a key, or null (none, or expired). */
export async function findIdempotencyKey(db: OrdersDb, userId: string, key: string): Promise<IdempotencyRecord | null> {
  return db.idempotencyKey.findFirst({
    where: { userId, key, createdAt: { gte: expiryCutoff() } },
    select: { orderId: true, requestHash: true },
  });
}

/** Same key, other input: the client reused a key it meant for another checkout. */
export function requireSameRequest(record: IdempotencyRecord, hash: string): void {
  if (record.requestHash !== hash) {
    throw appError(
      'IDEMPOTENCY_KEY_REUSED',
      'This idempotency key was already used for a checkout with a different input',
      { argumentName: 'idempotencyKey' },
    );
  }
}

export async function purgeExpiredIdempotencyKeys(prisma: OrdersPrisma): Promise<number> {
  return (await prisma.idempotencyKey.deleteMany({ where: { createdAt: { lt: expiryCutoff() } } })).count;
}
