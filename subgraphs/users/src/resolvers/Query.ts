import { notFound, unauthenticated } from '../../../../lib/errors.ts';
import { pageRequest, parseId, toConnection } from '../../../../lib/graphql/index.ts';
import type { QueryResolvers } from '../__generated__/resolvers-types.ts';

export const Query: QueryResolvers = {
  async me(_parent, _args, { identity, loaders }) {
    if (!identity.userId) throw unauthenticated();
    return loaders.userById.load(identity.userId);
  },
  async user(_parent, args, { loaders }) {
    const id = parseId(args.id);
    const user = await loaders.userById.load(id);
    if (!user) throw notFound('User', id);
    return user;
  },
  async users(_parent, args, { prisma }) {
    const page = pageRequest(args);
    const rows = await prisma.user.findMany({
      where: page.after
        ? {
            OR: [
              { createdAt: { lt: page.after.createdAt } },
              { createdAt: page.after.createdAt, id: { lt: page.after.id } },
            ],
          }
        : undefined,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: page.first + 1,
    });
    return { ...toConnection(rows, page), totalCount: () => prisma.user.count() };
  },
};
