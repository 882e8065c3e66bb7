import { isUuid, money } from '../../../../lib/graphql/index.ts';
import type { OrderResolvers, PaymentResolvers } from '../__generated__/resolvers-types.ts';

export const Payment: PaymentResolvers = {
  __resolveReference(reference, { loaders }) {
    return isUuid(reference.id) ? loaders.paymentById.load(reference.id.toLowerCase()) : null;
  },
  amount: (payment) => money(payment.amountCents, payment.currency),
  method: (payment) => ({ brand: payment.cardBrand, last4: payment.cardLast4 }),
  order: (payment) => ({ id: payment.orderId }),
};

export const Order: OrderResolvers = {
  __resolveReference: (reference) => ({ id: reference.id }),
  payment: (order, _args, { loaders }) => (isUuid(order.id) ? loaders.paymentByOrder.load(order.id.toLowerCase()) : null),
};
