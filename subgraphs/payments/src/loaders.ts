import { uniqueLoader } from '../../../lib/loaders.ts';
import type { PaymentsPrisma } from './db.ts';

export function createLoaders(prisma: PaymentsPrisma) {
  return {
    paymentById: uniqueLoader(
      (ids: readonly string[]) => prisma.payment.findMany({ where: { id: { in: [...ids] } } }),
      (payment) => payment.id,
    ),
    paymentByOrder: uniqueLoader(
      (orderIds: readonly string[]) => prisma.payment.findMany({ where: { orderId: { in: [...orderIds] } } }),
      (payment) => payment.orderId,
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
