import { appendToOutbox, createEvent } from '../../../lib/events/index.ts';
import type { UserRecord, UsersPrisma } from './db.ts';
import type { ProfileChange } from './profileChange.ts';

type ChangedField = keyof ProfileChange;

/**
 * Applies `change` to the user's profile and records a `user.updated` event naming the fields that
 * really changed, both in one transaction: the event is published if and only if the change commits.
 * A change that changes nothing writes nothing and publishes nothing (no needless cache
 * invalidation). Null when the user does not exist.
 */
export async function updateProfile(
  prisma: UsersPrisma,
  userId: string,
  change: ProfileChange,
): Promise<UserRecord | null> {
  return prisma.$transaction(async (tx) => {
    // The row lock orders concurrent changes of one profile, so each event names what it changed.
    const [current] = await tx.$queryRawUnsafe<Array<Pick<UserRecord, 'name' | 'avatarUrl'>>>(
      `SELECT "name", "avatarUrl" FROM "User" WHERE "id" = $1::uuid FOR UPDATE`,
      userId,
    );
    if (!current) return null;
    const changed = (Object.keys(change) as ChangedField[]).filter((field) => change[field] !== current[field]);
    if (changed.length === 0) return tx.user.findUnique({ where: { id: userId } });
    const user = await tx.user.update({ where: { id: userId }, data: change });
    await appendToOutbox(tx, createEvent('user.updated', { userId, changed }, { source: 'users' }));
    return user;
  });
}
