import { GraphQLError, responsePathAsArray, type GraphQLResolveInfo } from 'graphql';
import { appError } from '../../../../lib/errors.ts';

/**
 * Under tsx every error stack is formatted through source maps: about a quarter of a millisecond
 * per error here, which a checkout refused in a sold-out rush paid twice (its own error's stack and
 * the located copy graphql-js makes of it) and which was the costliest single step of such a
 * refusal in the bench's profile. A refusal is an answer, not a fault: its stack tells nothing.
 */
function withoutStack<T>(make: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

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
