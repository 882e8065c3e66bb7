import { rowsByKey } from '../../../lib/db/index.ts';
import { uniqueLoader } from '../../../lib/loaders.ts';
import type { PaymentsPrisma } from './db.ts';

/** A `Payment` row as Prisma's model gives it. */
type PaymentRow = Awaited<ReturnType<PaymentsPrisma['payment']['findFirstOrThrow']>>;

/**
 * Read directly (rowsByKey: one statement each, without Prisma's query building, which was 43% of
 * this service's CPU on the dashboard); callers pass valid uuids only. test/raw-loaders.test.ts holds
 * the rows to what `findMany` gives.
 */
export function createLoaders(prisma: PaymentsPrisma) {
  return {
    paymentById: uniqueLoader(
      (ids: readonly string[]) => rowsByKey<PaymentRow>(prisma, { table: '"Payment"', column: '"id"' }, ids),
      (payment) => payment.id,
    ),
    paymentByOrder: uniqueLoader(
      (orderIds: readonly string[]) =>
        rowsByKey<PaymentRow>(prisma, { table: '"Payment"', column: '"orderId"' }, orderIds),
      (payment) => payment.orderId,
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
