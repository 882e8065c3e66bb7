import { requireOwner, requireUser } from '../../../../lib/auth/index.ts';
import { notFound } from '../../../../lib/errors.ts';
import { parseId } from '../../../../lib/graphql/index.ts';
import type { QueryResolvers } from '../__generated__/resolvers-types.ts';
import { cartOf } from '../cart/cart.ts';

export const Query: QueryResolvers = {
  async order(_parent, args, { identity, loaders }) {
    requireUser(identity);
    const id = parseId(args.id);
    const order = await loaders.orderById.load(id);
    if (!order) throw notFound('Order', id);
    requireOwner(identity, order.userId, 'orders');
    return order;
  },
  // Always the caller's own cart: there is no way to name anyone else's.
  cart: (_parent, _args, { identity, prisma }) => cartOf(prisma, requireUser(identity)),
};
