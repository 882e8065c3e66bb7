import { requireService } from '../../../../lib/auth/index.ts';
import { unauthenticated } from '../../../../lib/errors.ts';
import { parseId, parseText } from '../../../../lib/graphql/index.ts';
import type { MutationResolvers } from '../__generated__/resolvers-types.ts';
import { parseChargeInput } from '../chargeInput.ts';
import { chargePayment, refundPayment, type ChargeDeps } from '../charges.ts';

const MAX_REASON_LENGTH = 500;

/** The checkout saga's payment steps: service callers only, each idempotent by saga id. */
export function createMutation(deps: Omit<ChargeDeps, 'prisma'>): MutationResolvers {
  return {
    chargePayment(_parent, { input }, { identity, prisma }) {
      requireService(identity);
      if (!identity.userId) throw unauthenticated('A charge is made for a buyer: sign the call with their user id');
      return chargePayment({ ...deps, prisma }, parseChargeInput(input), identity.userId);
    },
    refundPayment(_parent, args, { identity, prisma }) {
      requireService(identity);
      return refundPayment(
        { ...deps, prisma },
        parseId(args.sagaId, 'sagaId'),
        parseText(args.reason, 'reason', MAX_REASON_LENGTH),
      );
    },
  };
}
