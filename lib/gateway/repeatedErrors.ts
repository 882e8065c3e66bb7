import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import type { GatewayContext } from './context.ts';

/** Locations kept on a merged error: enough to find the spot, not a copy of the attack. */
const MAX_LOCATIONS = 10;

/**
 * One error per distinct message and code: `{ f @nope @nope @nope ... }` answers one "Unknown
 * directive" error (with the first locations), not one per repetition, so an overloading client
 * gets no amplification from the error list. Errors with a path (from execution) are left alone.
 */
export function mergeRepeatedErrors(errors: readonly GraphQLFormattedError[]): GraphQLFormattedError[] {
  const merged: GraphQLFormattedError[] = [];
  const byKey = new Map<string, number>();
  for (const error of errors) {
    if (error.path) {
      merged.push(error);
      continue;
    }
    const key = `${String(error.extensions?.code)}\u0000${error.message}`;
    const at = byKey.get(key);
    if (at === undefined) {
      byKey.set(key, merged.length);
      merged.push(error);
      continue;
    }
    const first = merged[at]!;
    const locations = [...(first.locations ?? []), ...(error.locations ?? [])].slice(0, MAX_LOCATIONS);
    merged[at] = { ...first, ...(locations.length ? { locations } : {}) };
  }
  return merged;
}

export function repeatedErrorsOnce(): ApolloServerPlugin<GatewayContext> {
  return {
    requestDidStart() {
      return Promise.resolve({
        willSendResponse({ response }) {
          if (response.body.kind === 'single') {
            const result = response.body.singleResult;
            if (result.errors && result.errors.length > 1) result.errors = mergeRepeatedErrors(result.errors);
          }
          return Promise.resolve();
        },
      });
    },
  };
}
