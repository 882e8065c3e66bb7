import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { GatewayContext } from './context.ts';

/**
 * Apollo Server resolves the operation to run but leaves an unknown `operationName` (or several
 * anonymous operations) to the executor, where the gateway's planner throws an internal error. Refuse
 * it as the client's mistake instead, with Apollo's own code, before anything is planned.
 */
export function operationMustResolve(): ApolloServerPlugin<GatewayContext> {
  return {
    // eslint-disable-next-line @typescript-eslint/require-await -- Apollo's plugin API types this hook as returning a Promise
    async requestDidStart() {
      return {
        // eslint-disable-next-line @typescript-eslint/require-await -- Apollo's plugin API types this hook as returning a Promise; async keeps a refusal a rejection
        async didResolveOperation({ operation, request }) {
          if (operation) return;
          const message = request.operationName
            ? `Unknown operation named "${request.operationName.slice(0, 100)}"`
            : 'The document holds several operations: name the one to run in operationName';
          throw new GraphQLError(message, {
            extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } },
          });
        },
      };
    },
  };
}
