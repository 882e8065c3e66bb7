import { dashboardFor, type BffDefinition } from '../../lib/gateway/index.ts';
import { rateLimitOf } from '../../lib/ratelimit/index.ts';

const STATUS_LABELS: Record<string, string> = {
  PENDING: 'Being processed',
  CONFIRMED: 'Confirmed',
  FAILED: 'Payment failed',
  CANCELLED: 'Cancelled and refunded',
  SHIPPED: 'On its way',
  DELIVERED: 'Delivered',
};

/** The web BFF: the dashboard entry point and the web app's wording of order states. */
export const webBff: BffDefinition = {
  resolvers: {
    Query: {
      dashboard: (_root, _args, context) => dashboardFor(context),
      rateLimit: (_root, _args, context) => rateLimitOf(context),
    },
    Order: {
      statusLabel: (order: { status: string }) => STATUS_LABELS[order.status] ?? order.status,
    },
  },
};
