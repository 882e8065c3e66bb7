import { badUserInput, notFound, unauthenticated } from '../../../../lib/errors.ts';
import { appendToOutbox, createEvent } from '../../../../lib/events/index.ts';
import type { MutationResolvers, UpdateProfileInput } from '../__generated__/resolvers-types.ts';

type ProfileChange = { name?: string; avatarUrl?: string };

function profileChange(input: UpdateProfileInput): ProfileChange {
  const change: ProfileChange = {};
  if (input.name !== null && input.name !== undefined) {
    const name = input.name.trim();
    if (name.length < 1 || name.length > 100) throw badUserInput('name must be 1 to 100 characters', 'input');
    change.name = name;
  }
  if (input.avatarUrl !== null && input.avatarUrl !== undefined) {
    let url: URL | null = null;
    try {
      url = new URL(input.avatarUrl);
    } catch {
      url = null;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) throw badUserInput('avatarUrl must be an absolute http(s) URL', 'input');
    change.avatarUrl = url.href;
  }
  return change;
}

export const Mutation: MutationResolvers = {
  /** The row and its `user.updated` event commit together (transactional outbox). */
  async updateProfile(_parent, { input }, { identity, prisma }) {
    if (!identity.userId) throw unauthenticated('Sign in to change your profile');
    const userId = identity.userId;
    const change = profileChange(input);
    const changed = Object.keys(change) as Array<keyof ProfileChange>;
    return prisma.$transaction(async (tx) => {
      // A valid token may name a user this service does not know (yet): NOT_FOUND, not an internal error.
      if (!(await tx.user.findUnique({ where: { id: userId }, select: { id: true } }))) throw notFound('User', userId);
      const user = await tx.user.update({ where: { id: userId }, data: change });
      if (changed.length) await appendToOutbox(tx, createEvent('user.updated', { userId, changed }, { source: 'users' }));
      return user;
    });
  },
};
