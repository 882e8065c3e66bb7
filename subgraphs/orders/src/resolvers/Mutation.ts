import { requireUser } from '../../../../lib/auth/index.ts';
import type { MutationResolvers } from '../__generated__/resolvers-types.ts';
import { addToCart, removeFromCart, updateCartItem } from '../cart/cart.ts';
import { cancelOrder } from '../checkout/cancelOrder.ts';
import { placeOrder } from '../checkout/placeOrder.ts';
import { locatedAt } from '../checkout/refusal.ts';

export const Mutation: MutationResolvers = {
  addToCart: (_parent, args, { identity, orders }) =>
    addToCart(orders, requireUser(identity), args.productId, args.quantity),
  updateCartItem: (_parent, args, { identity, orders }) =>
    updateCartItem(orders, requireUser(identity), args.productId, args.quantity),
  removeFromCart: (_parent, args, { identity, orders }) =>
    removeFromCart(orders, requireUser(identity), args.productId),
  // Most checkouts of a sold-out rush end in a refusal: it leaves located, without a stack (refusal.ts).
  checkout: (_parent, args, { identity, orders, answerBy }, info) =>
    locatedAt(info, () => placeOrder(orders, requireUser(identity), args.input, args.idempotencyKey, answerBy)),
  cancelOrder: (_parent, args, { identity, orders }) => {
    requireUser(identity);
    return cancelOrder(orders, identity, args.orderId, args.reason);
  },
};
