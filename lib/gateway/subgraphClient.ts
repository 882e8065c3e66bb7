import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayContext } from './context.ts';

/**
 * The gateway's HTTP client for one subgraph. It forwards the correlation id and the caller's
 * identity; timeouts, retries, breaker and bulkhead (issue 4) are added here, per subgraph.
 */
export class SubgraphClient extends RemoteGraphQLDataSource<GatewayContext> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const headers = request.http?.headers;
    if (!headers || !context) return;
    if ('requestId' in context && context.requestId) headers.set('x-request-id', context.requestId);
    if ('userId' in context && context.userId) headers.set('x-user-id', context.userId);
  }
}
