import { requireOwner, requireUser } from '../../../../lib/auth/index.ts';
import { isUuid, money } from '../../../../lib/graphql/index.ts';
import type { OrderResolvers, PaymentResolvers } from '../__generated__/resolvers-types.ts';

export const Payment: PaymentResolvers = {
  async __resolveReference(reference, { identity, loaders }) {
    requireUser(identity);
    if (!isUuid(reference.id)) return null;
    const payment = await loaders.paymentById.load(reference.id.toLowerCase());
    if (payment) requireOwner(identity, payment.userId, 'payments');
    return payment;
  },
  amount: (payment) => money(payment.amountCents, payment.currency),
  method: (payment) => ({ brand: payment.cardBrand, last4: payment.cardLast4 }),
  order: (payment) => ({ id: payment.orderId }),
};

export const Order: OrderResolvers = {
  __resolveReference: (reference) => ({ id: reference.id }),
  // The payment row carries its payer, so ownership is checked on what the batched load returns: no extra SQL.
  async payment(order, _args, { identity, loaders }) {
    requireUser(identity);
    if (!isUuid(order.id)) return null;
    const payment = await loaders.paymentByOrder.load(order.id.toLowerCase());
    if (payment) requireOwner(identity, payment.userId, 'payments');
    return payment;
  },
};
