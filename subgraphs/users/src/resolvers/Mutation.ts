import { notFound, unauthenticated } from '../../../../lib/errors.ts';
import type { MutationResolvers } from '../__generated__/resolvers-types.ts';
import { profileChangeOf } from '../profileChange.ts';
import { updateProfile } from '../updateProfile.ts';

export const Mutation: MutationResolvers = {
  async updateProfile(_parent, { input }, { identity, prisma }) {
    if (!identity.userId) throw unauthenticated('Sign in to change your profile');
    const user = await updateProfile(prisma, identity.userId, profileChangeOf(input));
    if (!user) throw notFound('User', identity.userId);
    return user;
  },
};
