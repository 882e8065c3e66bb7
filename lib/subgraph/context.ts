import { identityFromRequest, type Identity } from '../auth/index.ts';
import type { RequestInfo } from '../http/index.ts';
import type { Logger } from '../observability/index.ts';

/** The context every subgraph resolver gets: its service's Prisma client and this request's loaders. */
export interface SubgraphContext<TPrisma, TLoaders> {
  prisma: TPrisma;
  loaders: TLoaders;
  identity: Identity;
  logger: Logger;
}

/** A fresh context, and so fresh DataLoaders, for every request: loaders never outlive one user's request. */
export function subgraphContextFactory<TPrisma, TLoaders>(prisma: TPrisma, createLoaders: (prisma: TPrisma) => TLoaders) {
  return async ({ req, logger }: RequestInfo): Promise<SubgraphContext<TPrisma, TLoaders>> => ({
    prisma,
    loaders: createLoaders(prisma),
    identity: identityFromRequest(req),
    logger,
  });
}
