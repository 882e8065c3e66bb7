import type { ApolloServerPlugin } from '@apollo/server';
import { OperationTypeNode, type GraphQLError } from 'graphql';
import type { OperationAnalysis } from '../graphql/analysis.ts';
import { appError, ErrorCodes, requestError } from '../errors.ts';
import type { RequestAnalyses } from '../gateway/limits.ts';
import type { GatewayContext } from '../gateway/context.ts';
import type { Logger } from '../observability/index.ts';
import type { OperationKind } from './config.ts';
import { usageOf } from './fieldUsage.ts';
import {
  RateLimitUnavailableError,
  REGISTRATIONS,
  type Admission,
  type OperationUse,
  type RateLimiter,
  type RateLimitStatus,
  type RateLimitSubject,
} from './limiter.ts';

export function subjectOf(context: GatewayContext): RateLimitSubject {
  return context.userId ? { userId: context.userId } : { ip: context.clientIp };
}

function asExtension(status: RateLimitStatus) {
  return { cost: status.cost, remaining: status.remaining, limit: status.limit, resetAt: status.resetAt.toISOString() };
}

/** `extensions.rateLimit` of a response: the operation's budget, and each selected field's. */
export function rateLimitExtension(status: RateLimitStatus, fieldLimits: Record<string, RateLimitStatus> | undefined) {
  const fields = Object.entries(fieldLimits ?? {});
  return {
    ...asExtension(status),
    ...(fields.length ? { fields: Object.fromEntries(fields.map(([f, s]) => [f, asExtension(s)])) } : {}),
  };
}

function refusal(admission: Extract<Admission, { admitted: false }>, kind: OperationKind) {
  const { retryAfterSeconds, refusedBy } = admission;
  const field = admission.fields[refusedBy];
  const status = field ?? admission.status;
  const retry = `retry after ${status.resetAt.toISOString()} (in ${retryAfterSeconds} s)`;
  const message =
    refusedBy === REGISTRATIONS && field
      ? `Rate limit reached for persisted-query registrations: ${field.remaining} of ${field.limit} are left; ${retry}`
      : field
        ? `Rate limit reached for ${refusedBy}: this ${kind} selects it ${field.cost} time(s) and ${field.remaining} of ${field.limit} are left; ${retry}`
        : `Rate limit reached: this ${kind} costs ${status.cost} and ${status.remaining} of ${status.limit} ${kind === 'mutation' ? 'mutations' : 'cost points'} are left; ${retry}`;
  return appError('RATE_LIMITED', message, {
    retryAfterSeconds,
    ...(field ? { field: refusedBy } : {}),
    http: { status: ErrorCodes.RATE_LIMITED.status, headers: new Map([['retry-after', String(retryAfterSeconds)]]) },
  });
}

/**
 * What an operation asks of the budgets, from its one analysis: a query its static cost, a mutation one
 * point per root field, every operation at least 1 (so nothing, `{ __typename }`, a registration behind
 * a long comment or a budget read, can be repeated for free); and each selection of a watched field.
 */
export function operationUse(
  analysis: OperationAnalysis,
  kind: OperationKind,
  limiter: RateLimiter,
  registrations = 0,
): OperationUse {
  const usage = usageOf(analysis, limiter.watchedFields);
  const cost = Math.max(1, kind === 'mutation' ? usage.rootFields : analysis.cost);
  return { kind, cost, fields: usage.fields, registrations };
}

/** The client's error when the limiter could not decide (logged here with its cause). */
export function budgetsUnavailable(error: unknown, logger: Logger): GraphQLError {
  if (error instanceof RateLimitUnavailableError) {
    logger.warn({ err: error.cause, field: error.field }, 'refused a fail-closed operation: budgets cannot be checked');
    return requestError(
      'SERVICE_UNAVAILABLE',
      `${error.field} cannot run while request budgets cannot be checked; try again shortly`,
    );
  }
  logger.error({ err: error }, 'rate limiter unavailable');
  return requestError('SERVICE_UNAVAILABLE', 'Request budgets cannot be checked right now; try again shortly');
}

/**
 * Spends an operation's budgets once it is resolved (its variables known, so its cost is exact) and
 * before anything is planned, so a refused operation reaches no subgraph. Queries spend their static
 * cost and mutations one per root field: aliases add to either, and batches are refused at the door,
 * so neither multiplies a budget. Each selection of a field with a budget of its own (`@rateLimit`,
 * the profile's `checkout`) spends from that budget too, in the same atomic decision, and so does a
 * persisted-query registration from the caller's registration budget. Every operation spends at
 * least 1 point (reading `rateLimit` or `__typename` included). An operation
 * the limits refuse (too large once expanded, badly sliced, over the cost limit) is left to the
 * limits plugin, which refuses it without spending. Cost, root fields and field selections are read
 * from the request's one operation analysis.
 */
export function rateLimitPlugin(
  limiter: RateLimiter,
  analyses: RequestAnalyses,
  logger: Logger,
): ApolloServerPlugin<GatewayContext> {
  return {
    // eslint-disable-next-line @typescript-eslint/require-await -- Apollo's plugin API types this hook as returning a Promise
    async requestDidStart() {
      return {
        async didResolveOperation(requestContext) {
          const { operation, contextValue } = requestContext;
          if (!operation || analyses.refusal(requestContext)) return;
          const kind: OperationKind = operation.operation === OperationTypeNode.MUTATION ? 'mutation' : 'query';
          // Spent already by the response cache's fast path, whose entry turned out unusable.
          const spent = contextValue.rateLimit.spentAhead;
          if (spent) {
            contextValue.rateLimit.decided(spent);
            return;
          }
          const registrations = requestContext.metrics.persistedQueryRegister ? 1 : 0;
          const use = operationUse(analyses.of(requestContext), kind, limiter, registrations);
          let admission: Admission;
          try {
            admission = await limiter.admit(subjectOf(contextValue), use);
          } catch (error) {
            throw budgetsUnavailable(error, logger);
          }
          contextValue.rateLimit.decided(admission);
          if (!admission.admitted) throw refusal(admission, kind);
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          let status = contextValue.rateLimit.status;
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
          result.extensions = {
            ...result.extensions,
            rateLimit: rateLimitExtension(status, contextValue.rateLimit.fields),
          };
        },
      };
    },
  };
}

/** `Query.rateLimit`: the budget as this request's admission left it. */
export function rateLimitOf(context: GatewayContext): RateLimitStatus | null {
  return context.rateLimit.status ?? null;
}
