import type { IncomingHttpHeaders } from 'node:http';
import { verifySignedIdentity, type Identity } from '../auth/index.ts';
import { requestError } from '../errors.ts';
import type { RequestInfo } from '../http/index.ts';
import type { Logger } from '../observability/index.ts';
import { CALLER_TIMEOUT_HEADER } from '../transport/index.ts';
import type { SubgraphDeps } from './module.ts';

/** The context every subgraph resolver gets: its service's Prisma client and this request's loaders. */
export interface SubgraphContext<TPrisma, TLoaders> {
  prisma: TPrisma;
  loaders: TLoaders;
  identity: Identity;
  logger: Logger;
  /**
   * When the caller stops waiting for this answer (ms since the epoch, from `x-request-timeout-ms`),
   * null when it did not say. Work that waits on something of its own bounds the wait by it.
   */
  answerBy: number | null;
}

/** The longest patience a caller can claim (a bad or absurd header means no deadline, never a longer wait). */
const MAX_CALLER_TIMEOUT_MS = 10 * 60_000;

/** When the caller stops waiting, from its `x-request-timeout-ms`; null for a missing or malformed one. */
export function answerByOf(headers: IncomingHttpHeaders, now = Date.now()): number | null {
  const raw = headers[CALLER_TIMEOUT_HEADER];
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw)) return null;
  const ms = Number(raw);
  return ms > 0 && ms <= MAX_CALLER_TIMEOUT_MS ? now + ms : null;
}

/**
 * A fresh context, and so fresh DataLoaders, for every request: loaders never outlive one user's request.
 * Every GraphQL request must carry a gateway's valid, fresh signature, anonymous ones included:
 * otherwise a caller who reaches the subgraph port could claim any identity. The refusal is a
 * 401 before any resolver runs; why it was refused is logged, not told.
 */
export function subgraphContextFactory<TPrisma, TLoaders>(
  deps: SubgraphDeps<TPrisma>,
  createLoaders: (prisma: TPrisma) => TLoaders,
) {
  // eslint-disable-next-line @typescript-eslint/require-await -- async turns a refused signature into a rejection, as Apollo expects of a context function
  return async ({ req, logger }: RequestInfo): Promise<SubgraphContext<TPrisma, TLoaders>> => {
    const verdict = verifySignedIdentity(req.headers, deps.signing);
    if (!verdict.ok) {
      logger.warn({ reason: verdict.reason }, 'refused a request without a valid gateway signature');
      throw requestError('UNAUTHENTICATED', 'This service only answers requests signed by a gateway');
    }
    return {
      prisma: deps.prisma,
      loaders: createLoaders(deps.prisma),
      identity: verdict.identity,
      logger,
      answerBy: answerByOf(req.headers),
    };
  };
}
