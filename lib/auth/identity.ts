import type { IncomingMessage } from 'node:http';
import { isUuid } from '../graphql/ids.ts';

/** Who a subgraph request acts for. */
export interface Identity {
  userId: string | null;
}

/**
 * Reads the forwarded user id. Until gateway-signed identity headers land (issue 4) the header is
 * trusted as it is, so subgraph ports must not be exposed beyond the gateways.
 */
export function identityFromRequest(req: IncomingMessage): Identity {
  const raw = req.headers['x-user-id'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return { userId: value && isUuid(value) ? value.toLowerCase() : null };
}
