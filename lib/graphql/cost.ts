import { buildASTSchema, parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { analyzeOperation } from './analysis.ts';

/**
 * Static operation cost from the `@cost` and `@listSize` directives the subgraphs declare (IBM's
 * GraphQL cost specification, as Apollo's demand control applies it): an object costs 1, a scalar or
 * enum 0, `@cost(weight:)` overrides either, and a list multiplies what it selects by its size, taken
 * from its slicing argument (`first`), else `assumedSize`, else `defaultListSize`. `sizedFields`
 * moves the multiplier onto a connection's `edges`. Mutations add a base cost. The same number feeds
 * the gateways' cost limit, the rate limiter and the CI budgets; `analyzeOperation` computes it.
 */
export interface CostModel {
  schema: GraphQLSchema;
  defaultListSize: number;
  mutationBaseCost: number;
}

export function costModelFromSupergraph(
  supergraphSdl: string,
  options: { defaultListSize?: number; mutationBaseCost?: number } = {},
): CostModel {
  return costModelFromSchema(buildASTSchema(parse(supergraphSdl), { assumeValidSDL: true }), options);
}

export function costModelFromSchema(
  schema: GraphQLSchema,
  options: { defaultListSize?: number; mutationBaseCost?: number } = {},
): CostModel {
  return { schema, defaultListSize: options.defaultListSize ?? 10, mutationBaseCost: options.mutationBaseCost ?? 10 };
}

/** The static cost of one operation of a document, with its variables applied (never negative). */
export function operationCost(
  model: CostModel,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> = {},
): number {
  return analyzeOperation(model, document, operationName, variables).cost;
}
