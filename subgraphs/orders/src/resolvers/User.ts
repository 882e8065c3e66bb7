import { requireOwner } from '../../../../lib/auth/index.ts';
import { badUserInput } from '../../../../lib/errors.ts';
import { money, pageRequest, toConnection } from '../../../../lib/graphql/index.ts';
import type { UserResolvers } from '../__generated__/resolvers-types.ts';

const MAX_SPENDING_DAYS = 366;
/** The shop sells in one currency (the seed's); a multi-currency shop would report totals per currency. */
const SHOP_CURRENCY = 'USD';

export const User: UserResolvers = {
  __resolveReference: (reference) => ({ id: reference.id }),
  async orders(user, args, { identity, loaders }) {
    // Checked before any SQL: a user's order history is theirs alone.
    requireOwner(identity, user.id, 'orders');
    const page = pageRequest(args, 10);
    const rows = await loaders.orderPageByUser(page).load(user.id);
    return {
      ...toConnection(rows, page),
      totalCount: async () => (await loaders.orderCountByUser.load(user.id))?.count ?? 0,
    };
  },
  async spending(user, args, { identity, loaders }) {
    requireOwner(identity, user.id, 'spending');
    const days = args.days ?? 30;
    if (!Number.isInteger(days) || days < 1 || days > MAX_SPENDING_DAYS) {
      throw badUserInput(`"days" must be between 1 and ${MAX_SPENDING_DAYS}, got ${days}`, 'days');
    }
    const row = await loaders.spendingByUser(days).load(user.id.toLowerCase());
    const totalCents = row?.totalCents ?? 0;
    const orderCount = row?.orderCount ?? 0;
    return {
      days,
      total: money(totalCents, SHOP_CURRENCY),
      orderCount,
      averageOrder: orderCount ? money(Math.round(totalCents / orderCount), SHOP_CURRENCY) : null,
    };
  },
};
