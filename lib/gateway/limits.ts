import type { ApolloServerPlugin, GraphQLRequest } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { GraphQLError, type DocumentNode, type ValidationContext, type ValidationRule } from 'graphql';
import { operationCost, type CostModel } from '../graphql/cost.ts';
import type { GatewayContext } from './context.ts';

/** Per-client operation limits; each has its own error code so clients can tell them apart. */
export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  maxCost: number;
}

export const LIMIT_CODES = {
  depth: 'DEPTH_LIMIT_EXCEEDED',
  aliases: 'ALIAS_LIMIT_EXCEEDED',
  directives: 'DIRECTIVE_LIMIT_EXCEEDED',
  tokens: 'TOKEN_LIMIT_EXCEEDED',
  cost: 'COST_ESTIMATED_TOO_EXPENSIVE',
} as const;

/**
 * graphql-armor's rules do the counting (fragments, cycles, introspection); we only replace how they
 * reject, so each limit reports its own code instead of a generic validation failure.
 */
function coded(code: string) {
  return {
    propagateOnRejection: false,
    exposeLimits: true,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) => {
        context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code } }));
      },
    ],
  };
}

export function limitValidationRules(limits: OperationLimits): ValidationRule[] {
  return [
    maxDepthRule({
      n: limits.maxDepth,
      ignoreIntrospection: true,
      flattenFragments: true,
      ...coded(LIMIT_CODES.depth),
    }),
    maxAliasesRule({ n: limits.maxAliases, ...coded(LIMIT_CODES.aliases) }),
    maxDirectivesRule({ n: limits.maxDirectives, ...coded(LIMIT_CODES.directives) }),
  ];
}

/**
 * The static cost of the request's operation, computed once per request however many plugins ask
 * (the cost limit and the rate limiter both spend it). Keyed by Apollo's request object.
 */
const costs = new WeakMap<object, number>();

export function requestCost(
  model: CostModel,
  { document, request }: { document: DocumentNode; request: GraphQLRequest },
): number {
  let cost = costs.get(request);
  if (cost === undefined) {
    cost = operationCost(model, document, request.operationName, request.variables ?? {});
    costs.set(request, cost);
  }
  return cost;
}

/**
 * The cost limit needs the variables (a page size is usually one), so it runs once the operation is
 * resolved rather than as a validation rule; nothing is planned or fetched for a refused operation.
 */
export function costLimitPlugin(model: CostModel, maxCost: number): ApolloServerPlugin<GatewayContext> {
  return {
    // eslint-disable-next-line @typescript-eslint/require-await -- Apollo's plugin API types this hook as returning a Promise
    async requestDidStart() {
      return {
        // eslint-disable-next-line @typescript-eslint/require-await -- Apollo's plugin API types this hook as returning a Promise; async keeps a refusal a rejection
        async didResolveOperation(requestContext) {
          const cost = requestCost(model, requestContext);
          if (cost > maxCost) {
            throw new GraphQLError(
              `Operation cost ${cost} exceeds the limit of ${maxCost}; ask for fewer or smaller lists`,
              {
                extensions: { code: LIMIT_CODES.cost, cost, maxCost, http: { status: 400 } },
              },
            );
          }
        },
      };
    },
  };
}
