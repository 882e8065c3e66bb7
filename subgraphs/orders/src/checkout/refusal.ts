import { GraphQLError, responsePathAsArray, type GraphQLResolveInfo } from 'graphql';
import { appError, withoutStack } from '../../../../lib/errors.ts';

/** An error from the catalogue (`appError`) for an expected refusal, made without a stack trace. */
export function refusal(...args: Parameters<typeof appError>): GraphQLError {
  return withoutStack(() => appError(...args));
}

/**
 * Runs a field's resolver and rethrows a GraphQLError it throws already located at the field, as
 * graphql-js's `locatedError` would (same message, locations, path, extensions, original error),
 * but without capturing a new stack: graphql-js takes a located error as it is. Other errors go
 * their usual way.
 */
export async function locatedAt<T>(info: GraphQLResolveInfo, resolve: () => Promise<T>): Promise<T> {
  try {
    return await resolve();
  } catch (error) {
    if (!(error instanceof GraphQLError) || error.path !== undefined) throw error;
    throw withoutStack(
      () =>
        new GraphQLError(error.message, {
          nodes: info.fieldNodes,
          path: responsePathAsArray(info.path),
          originalError: error,
          extensions: error.extensions,
        }),
    );
  }
}
