import { demoData, insertInChunks } from '../../lib/seed/index.ts';
import type { SeedReport } from '../../lib/subgraph/index.ts';
import type { PaymentsPrisma } from '../../subgraphs/payments/src/db.ts';

/** One payment per demo order; existing rows are kept (ids are stable), so seeding is repeatable. */
export async function seedPayments(prisma: PaymentsPrisma, scale: number): Promise<SeedReport> {
  const data = demoData(scale);
  // Each demo payment was its order's checkout, whose saga id is the order id.
  const rows = data.payments.map((p) => ({
    ...p,
    sagaId: p.orderId,
    declineCode: p.status === 'DECLINED' ? 'card_declined' : null,
  }));
  const payments = await insertInChunks(rows, (chunk) =>
    prisma.payment.createMany({ data: chunk, skipDuplicates: true }),
  );
  return { seeded: payments > 0, rows: { payments } };
}
