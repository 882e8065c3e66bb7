import type { GatewayProfile } from '../../lib/gateway/index.ts';
import { CHECKOUT_FIELD } from '../../lib/ratelimit/index.ts';
import { webBff } from './bff.ts';

/**
 * The web BFF: any operation within its limits, plus automatic persisted queries. Its Dashboard
 * operation costs about 340 at ten orders; the cost limit leaves room for a 100-order page.
 */
export const webProfile: GatewayProfile = {
  name: 'web',
  bff: webBff,
  operations: { kind: 'open' },
  limits: { maxDepth: 12, maxAliases: 15, maxDirectives: 20, maxTokens: 5000, maxCost: 5000 },
  // About 60 dashboards a minute per user; mutations by count, checkouts tighter still.
  rateLimitBudgets: {
    query: { points: 20_000, windowSeconds: 60 },
    mutation: { points: 60, windowSeconds: 60 },
    fields: { [CHECKOUT_FIELD]: { points: 10, windowSeconds: 60 } },
  },
  // Too many checkouts (charges) is worse than none while budgets cannot be checked.
  rateLimitFailClosedFields: [CHECKOUT_FIELD],
};
