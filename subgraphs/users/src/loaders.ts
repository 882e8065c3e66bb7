import { rowsByKey } from '../../../lib/db/index.ts';
import { uniqueLoader } from '../../../lib/loaders.ts';
import type { UserRecord, UsersPrisma } from './db.ts';

export function createLoaders(prisma: UsersPrisma) {
  return {
    // Every plan's user entities (review authors, `me`): raw SQL, see rowsByKey.
    userById: uniqueLoader(
      (ids: readonly string[]) => rowsByKey<UserRecord>(prisma, { table: '"User"', column: '"id"' }, ids),
      (user) => user.id,
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
