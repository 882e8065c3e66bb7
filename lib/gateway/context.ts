import { identityFromRequest } from '../auth/index.ts';
import type { RequestInfo } from '../http/index.ts';

/** What the gateway knows about a request and passes on to subgraph calls. */
export interface GatewayContext {
  requestId: string;
  userId: string | null;
}

export async function gatewayContext({ req, requestId }: RequestInfo): Promise<GatewayContext> {
  return { requestId, userId: identityFromRequest(req).userId };
}
