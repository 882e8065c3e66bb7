import { requireOwner, requireUser } from '../../../../lib/auth/index.ts';
import { notFound } from '../../../../lib/errors.ts';
import { parseId } from '../../../../lib/graphql/index.ts';
import type { QueryResolvers } from '../__generated__/resolvers-types.ts';

export const Query: QueryResolvers = {
  async payment(_parent, args, { identity, loaders }) {
    requireUser(identity);
    const id = parseId(args.id);
    const payment = await loaders.paymentById.load(id);
    if (!payment) throw notFound('Payment', id);
    requireOwner(identity, payment.userId, 'payments');
    return payment;
  },
};
