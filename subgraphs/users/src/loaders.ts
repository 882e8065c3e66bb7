import { uniqueLoader } from '../../../lib/loaders.ts';
import type { UsersPrisma } from './db.ts';

export function createLoaders(prisma: UsersPrisma) {
  return {
    userById: uniqueLoader(
      (ids: readonly string[]) => prisma.user.findMany({ where: { id: { in: [...ids] } } }),
      (user) => user.id,
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
