import type { CartLineResolvers, CartResolvers } from '../__generated__/resolvers-types.ts';

export const Cart: CartResolvers = {
  lines: (cart) => cart.lines,
  itemCount: (cart) => cart.lines.reduce((sum, line) => sum + line.quantity, 0),
};

export const CartLine: CartLineResolvers = {
  product: (line) => ({ id: line.productId }),
};
