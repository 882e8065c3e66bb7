import { GraphQLError, type ASTVisitor, type ValidationContext } from 'graphql';

/**
 * graphql-js validates an operation whose root type the schema lacks (a mutation, while the API has
 * no Mutation type) as if it were fine; only execution then fails, in the query planner, as an
 * internal error. This rule refuses it while validating, as GRAPHQL_VALIDATION_FAILED, like any
 * other field the API does not have.
 */
export function knownRootTypeRule(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(node) {
      if (!context.getSchema().getRootType(node.operation)) {
        context.reportError(new GraphQLError(`This API has no ${node.operation} operations`, { nodes: node }));
      }
    },
  };
}
