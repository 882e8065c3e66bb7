import { requireOwner } from '../../../../lib/auth/index.ts';
import { isUuid } from '../../../../lib/graphql/index.ts';
import type { UserConnectionResolvers, UserResolvers } from '../__generated__/resolvers-types.ts';

export const User: UserResolvers = {
  __resolveReference(reference, { loaders }) {
    return isUuid(reference.id) ? loaders.userById.load(reference.id.toLowerCase()) : null;
  },
  // Names and avatars are public; contact details are their owner's alone.
  email(user, _args, { identity }) {
    requireOwner(identity, user.id, 'email address');
    return user.email;
  },
  address(user, _args, { identity }) {
    requireOwner(identity, user.id, 'address');
    if (!user.addressLine1 || !user.city || !user.postalCode || !user.country) return null;
    return {
      line1: user.addressLine1,
      line2: user.addressLine2,
      city: user.city,
      postalCode: user.postalCode,
      country: user.country,
    };
  },
};

export const UserConnection: UserConnectionResolvers = {
  totalCount: (connection) => connection.totalCount(),
};
