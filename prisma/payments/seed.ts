import { demoData, insertInChunks } from '../../lib/seed/index.ts';
import type { SeedReport } from '../../lib/subgraph/index.ts';
import type { PaymentsPrisma } from '../../subgraphs/payments/src/db.ts';

/** One payment per demo order; existing rows are kept (ids are stable), so seeding is repeatable. */
export async function seedPayments(prisma: PaymentsPrisma, scale: number): Promise<SeedReport> {
  const data = demoData(scale);
  const payments = await insertInChunks(data.payments, (chunk) => prisma.payment.createMany({ data: chunk, skipDuplicates: true }));
  return { seeded: payments > 0, rows: { payments } };
}
