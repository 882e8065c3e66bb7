import { createHmac } from 'node:crypto';
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
 * The fingerprint of a checkout's input, normalized (card digits only, fields in a fixed order). An
 * HMAC rather than a plain hash: card numbers are few enough to brute-force a bare SHA-256 back to
 * the number, the secret makes the stored value useless without it.
 */
export function requestHash(hashKey: Buffer, card: PaymentCard): string {
  const normalized = JSON.stringify([card.number, card.expMonth, card.expYear, card.cvc]);
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
