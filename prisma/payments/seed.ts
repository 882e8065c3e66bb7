import { demoData, insertInChunks } from '../../lib/seed/index.ts';
import type { SeedReport } from '../../lib/subgraph/index.ts';
import type { PaymentsPrisma } from '../../subgraphs/payments/src/db.ts';

/**
 * One payment per demo order; existing rows are kept (ids are stable), so seeding is repeatable.
 * The payment of an order placed through checkout comes with what its CHARGE_PAYMENT step left
 * beside it: the saga's charge record (one call, CAPTURED) and the capture on the simulated
 * processor's books, so refunding it (a cancellation, `reconcile --repair`) works as for any checkout.
 */
export async function seedPayments(prisma: PaymentsPrisma, scale: number): Promise<SeedReport> {
  const data = demoData(scale);
  const checkouts = new Map(data.orders.flatMap((o) => (o.checkout ? [[o.id, o.checkout] as const] : [])));
  // Each demo payment was its order's checkout, whose saga id is the order id.
  const rows = data.payments.map((p) => ({
    ...p,
    sagaId: p.orderId,
    declineCode: p.status === 'DECLINED' ? 'card_declined' : null,
  }));
  const payments = await insertInChunks(rows, (chunk) =>
    prisma.payment.createMany({ data: chunk, skipDuplicates: true }),
  );
  const charged = data.payments.flatMap((payment) => {
    const checkout = checkouts.get(payment.orderId);
    return checkout ? [{ payment, checkout }] : [];
  });
  const sagaCharges = await insertInChunks(charged, (chunk) =>
    prisma.sagaCharge.createMany({
      data: chunk.map(({ payment, checkout }) => ({
        sagaId: payment.orderId,
        attempts: 1,
        callState: 'CAPTURED' as const,
        callUntil: null,
        orderId: payment.orderId,
        userId: payment.userId,
        amountCents: payment.amountCents,
        currency: payment.currency,
        cardBrand: payment.cardBrand,
        cardLast4: payment.cardLast4,
        createdAt: checkout.chargeStartedAt,
        updatedAt: payment.createdAt,
      })),
      skipDuplicates: true,
    }),
  );
  // The processor's idempotency key is the saga id.
  const processorEntries = await insertInChunks(charged, (chunk) =>
    prisma.processorEntry.createMany({
      data: chunk.map(({ payment, checkout }) => ({
        idempotencyKey: payment.orderId,
        kind: 'CAPTURE' as const,
        amountCents: payment.amountCents,
        currency: payment.currency,
        createdAt: checkout.capturedAt,
      })),
      skipDuplicates: true,
    }),
  );
  return { seeded: payments + sagaCharges + processorEntries > 0, rows: { payments, sagaCharges, processorEntries } };
}
