import { dashboardFor, type BffDefinition } from '../../lib/gateway/index.ts';
import { rateLimitOf } from '../../lib/ratelimit/index.ts';

const THUMBNAIL_WIDTH = 160;

/** The mobile BFF: the dashboard entry point and phone-sized product pictures. */
export const mobileBff: BffDefinition = {
  resolvers: {
    Query: {
      dashboard: (_root, _args, context) => dashboardFor(context),
      rateLimit: (_root, _args, context) => rateLimitOf(context),
    },
    Product: {
      thumbnailUrl: (product: { imageUrl?: string | null }) => {
        if (!product.imageUrl) return null;
        const url = new URL(product.imageUrl);
        url.searchParams.set('w', String(THUMBNAIL_WIDTH));
        return url.toString();
      },
    },
  },
};
