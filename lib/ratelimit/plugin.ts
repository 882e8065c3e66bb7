import type { ApolloServerPlugin } from '@apollo/server';
import { appError, ErrorCodes, requestError } from '../errors.ts';
import type { CostModel } from '../graphql/cost.ts';
import { requestCost } from '../gateway/limits.ts';
import type { GatewayContext } from '../gateway/context.ts';
import type { Logger } from '../observability/index.ts';
import type { OperationKind } from './config.ts';
import type { RateLimiter, RateLimitStatus, RateLimitSubject } from './limiter.ts';

export function subjectOf(context: GatewayContext): RateLimitSubject {
  return context.userId ? { userId: context.userId } : { ip: context.clientIp };
}

function asExtension(status: RateLimitStatus) {
  return { cost: status.cost, remaining: status.remaining, limit: status.limit, resetAt: status.resetAt.toISOString() };
}

/**
 * Spends an operation's budget once it is resolved (its variables known, so its cost is exact) and
 * before anything is planned, so a refused operation reaches no subgraph. Queries spend their static
 * cost: aliases add to it, and batches are refused at the door, so neither multiplies a budget. An
 * operation costing 0 (only `rateLimit`, `__typename`, scalars of the BFF) spends nothing. One over the
 * gateway's cost limit is left to the cost-limit plugin, which refuses it without spending.
 */
export function rateLimitPlugin(limiter: RateLimiter, model: CostModel, maxCost: number, logger: Logger): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(requestContext) {
          const { operation, contextValue } = requestContext;
          if (!operation) return;
          const kind: OperationKind = operation.operation === 'mutation' ? 'mutation' : 'query';
          const cost = kind === 'mutation' ? 1 : requestCost(model, requestContext);
          if (kind === 'query' && cost > maxCost) return;
          const subject = subjectOf(contextValue);
          if (cost === 0) {
            contextValue.rateLimit = await limiter.peek(subject, kind);
            return;
          }
          let admission;
          try {
            admission = await limiter.admit(subject, kind, cost);
          } catch (error) {
            logger.error({ err: error }, 'rate limiter unavailable');
            throw requestError('SERVICE_UNAVAILABLE', 'Request budgets cannot be checked right now; try again shortly');
          }
          contextValue.rateLimit = admission.status;
          if (admission.admitted) return;
          const { retryAfterSeconds, status } = admission;
          const unit = kind === 'mutation' ? 'mutations' : 'cost points';
          throw appError(
            'RATE_LIMITED',
            `Rate limit reached: this ${kind} costs ${cost} and ${status.remaining} of ${status.limit} ${unit} are left; retry after ${status.resetAt.toISOString()} (in ${retryAfterSeconds} s)`,
            { retryAfterSeconds, http: { status: ErrorCodes.RATE_LIMITED.status, headers: new Map([['retry-after', String(retryAfterSeconds)]]) } },
          );
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          let status = contextValue.rateLimit;
          if (!status) {
            // Refused before resolution (parse or validation errors): show the budget, spend nothing.
            try {
              status = await limiter.peek(subjectOf(contextValue), 'query');
            } catch (error) {
              logger.warn({ err: error }, 'rate limit could not be read');
              return;
            }
          }
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, rateLimit: asExtension(status) };
        },
      };
    },
  };
}

/** `Query.rateLimit`: what the plugin read for this request (it spends nothing on a 0-cost operation). */
export function rateLimitOf(context: GatewayContext): RateLimitStatus | null {
  return context.rateLimit ?? null;
}
