import type { RawQuerier } from '../../../../lib/db/index.ts';

/** A capture as the processor's books hold it, found by the merchant's reference (the idempotency key). */
export interface ProcessorCapture {
  idempotencyKey: string;
  amountCents: number;
  currency: string;
  capturedAt: Date;
  /** A refund of it is on the books too. */
  refunded: boolean;
}

export interface LedgerEntry {
  idempotencyKey: string;
  amountCents: number;
  currency: string;
}

/**
 * The simulated processor's books: one capture and at most one refund per idempotency key, so a
 * replayed call never moves money twice. Kept apart from payments' own records on purpose: they are
 * what a real processor would still know after our transaction rolled back or our process died.
 */
export interface ProcessorLedger {
  /** Books the capture of `idempotencyKey` unless it is booked already (a replay). */
  capture(entry: LedgerEntry): Promise<void>;
  refund(entry: LedgerEntry): Promise<void>;
  captures(idempotencyKeys: readonly string[]): Promise<ProcessorCapture[]>;
}

/** Books in this process only: unit tests, and nothing that must survive a restart. */
export function memoryLedger(): ProcessorLedger {
  const captured = new Map<string, Omit<ProcessorCapture, 'refunded'>>();
  const refunded = new Set<string>();
  return {
    capture(entry) {
      const { idempotencyKey, amountCents, currency } = entry;
      if (!captured.has(idempotencyKey))
        captured.set(idempotencyKey, { idempotencyKey, amountCents, currency, capturedAt: new Date() });
      return Promise.resolve();
    },
    refund(entry) {
      refunded.add(entry.idempotencyKey);
      return Promise.resolve();
    },
    captures(keys) {
      return Promise.resolve(
        keys.flatMap((key) => {
          const capture = captured.get(key);
          return capture ? [{ ...capture, refunded: refunded.has(key) }] : [];
        }),
      );
    },
  };
}

/**
 * Books in the `ProcessorEntry` table, each write its own statement (never inside a caller's
 * transaction, whose rollback must not undo the processor's books). Reading needs only a read-only
 * handle, which is how `npm run reconcile` asks the processor.
 */
export function databaseLedger(db: RawQuerier): ProcessorLedger {
  const book = (kind: 'CAPTURE' | 'REFUND', entry: LedgerEntry) =>
    db.$queryRawUnsafe(
      `INSERT INTO "ProcessorEntry" ("idempotencyKey", "kind", "amountCents", "currency")
       VALUES ($1, $2::"ProcessorEntryKind", $3, $4) ON CONFLICT DO NOTHING RETURNING "kind"`,
      entry.idempotencyKey,
      kind,
      entry.amountCents,
      entry.currency,
    );
  return {
    async capture(entry) {
      await book('CAPTURE', entry);
    },
    async refund(entry) {
      await book('REFUND', entry);
    },
    async captures(keys) {
      if (keys.length === 0) return [];
      return db.$queryRawUnsafe<ProcessorCapture[]>(
        `SELECT c."idempotencyKey", c."amountCents", c."currency", c."createdAt" AS "capturedAt", (r."kind" IS NOT NULL) AS "refunded"
         FROM "ProcessorEntry" c
         LEFT JOIN "ProcessorEntry" r ON r."idempotencyKey" = c."idempotencyKey" AND r."kind" = 'REFUND'
         WHERE c."kind" = 'CAPTURE' AND c."idempotencyKey" = ANY($1::text[])
         ORDER BY c."idempotencyKey"`,
        [...keys],
      );
    },
  };
}
