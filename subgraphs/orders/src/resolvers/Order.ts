import { requireOwner, requireUser } from '../../../../lib/auth/index.ts';
import { isUuid, money } from '../../../../lib/graphql/index.ts';
import { cancellationIdOf } from '../checkout/cancelOrder.ts';
import type { OrderConnectionResolvers, OrderItemResolvers, OrderResolvers } from '../__generated__/resolvers-types.ts';

export const Order: OrderResolvers = {
  // Every path to an order (Query.order, User.orders, Payment.order) checks ownership; checking here
  // too keeps an entity fetch from a future plan from showing someone else's order.
  async __resolveReference(reference, { identity, loaders }) {
    requireUser(identity);
    if (!isUuid(reference.id)) return null;
    const order = await loaders.orderById.load(reference.id.toLowerCase());
    if (order) requireOwner(identity, order.userId, 'orders');
    return order;
  },
  async items(order, _args, { loaders }) {
    const items = await loaders.itemsByOrder.load(order.id);
    return items.map((item) => ({ ...item, currency: order.currency }));
  },
  async itemCount(order, _args, { loaders }) {
    const items = await loaders.itemsByOrder.load(order.id);
    return items.reduce((sum, item) => sum + item.quantity, 0);
  },
  total: (order) => money(order.totalCents, order.currency),
  user: (order) => ({ id: order.userId }),
  saga: (order, _args, { loaders }) => loaders.sagaById.load(order.id),
  cancellation: (order, _args, { loaders }) => loaders.sagaById.load(cancellationIdOf(order.id)),
};

export const OrderItem: OrderItemResolvers = {
  product: (item) => ({ id: item.productId }),
  unitPrice: (item) => money(item.unitPriceCents, item.currency),
  lineTotal: (item) => money(item.unitPriceCents * item.quantity, item.currency),
};

export const OrderConnection: OrderConnectionResolvers = {
  totalCount: (connection) => connection.totalCount(),
};
