/** The kinds of caller a gateway signs for; `service` is for service-to-service calls. */
export const CLIENTS = ['web', 'mobile', 'service'] as const;

export type Client = (typeof CLIENTS)[number];

export function isClient(value: unknown): value is Client {
  return typeof value === 'string' && (CLIENTS as readonly string[]).includes(value);
}

/**
 * Who a request acts for, as verified: at a gateway from the bearer JWT, at a subgraph from the
 * gateway's signed headers. `userId` is null for an anonymous caller.
 */
export interface Identity {
  userId: string | null;
  client: Client;
}
