import type { DocumentNode, GraphQLSchema } from 'graphql';
import { analyzeOperation, type OperationAnalysis } from '../graphql/analysis.ts';
import { costModelFromSchema } from '../graphql/cost.ts';

export interface FieldUsage {
  /** Root fields the operation selects, `__typename` aside: what a mutation spends from its budget. */
  rootFields: number;
  /** How many times the operation selects each watched field (by schema coordinate, `Mutation.addReview`). */
  fields: Map<string, number>;
}

/**
 * An operation's root fields and its selections of the watched fields, read from its analysis:
 * each occurrence counts, so aliases (`a: addReview b: addReview`) and fragments spread twice count
 * twice. A watched field below a list counts once per selection, not once per item.
 */
export function usageOf(analysis: OperationAnalysis, watched: ReadonlySet<string>): FieldUsage {
  const fields = new Map<string, number>();
  for (const field of watched) {
    const count = analysis.fields.get(field);
    if (count) fields.set(field, count);
  }
  return { rootFields: analysis.rootFields, fields };
}

/** `usageOf` for a document not yet analysed (tests, tools); the gateway reads its request's analysis. */
export function fieldUsage(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  watched: ReadonlySet<string>,
): FieldUsage {
  return usageOf(analyzeOperation(costModelFromSchema(schema), document, operationName), watched);
}
