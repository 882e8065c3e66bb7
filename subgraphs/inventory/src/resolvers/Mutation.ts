import { requireService } from '../../../../lib/auth/index.ts';
import { parseId, parseText } from '../../../../lib/graphql/index.ts';
import type { MutationResolvers } from '../__generated__/resolvers-types.ts';
import { commitStock, releaseStock, reserveStock } from '../stockHolds.ts';
import { parseStockLines } from '../stockLines.ts';

const MAX_REASON_LENGTH = 500;

/** The checkout saga's inventory steps: service callers only, each idempotent by saga id. */
export const Mutation: MutationResolvers = {
  reserveStock(_parent, args, { identity, prisma }) {
    requireService(identity);
    return reserveStock(prisma, parseId(args.sagaId, 'sagaId'), parseStockLines(args.lines));
  },
  releaseStock(_parent, args, { identity, prisma }) {
    requireService(identity);
    return releaseStock(prisma, parseId(args.sagaId, 'sagaId'), parseText(args.reason, 'reason', MAX_REASON_LENGTH));
  },
  commitStock(_parent, args, { identity, prisma }) {
    requireService(identity);
    return commitStock(prisma, parseId(args.sagaId, 'sagaId'));
  },
};
