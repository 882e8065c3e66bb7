import {
  devToken,
  jwtConfigFromEnv,
  signIdentity,
  type DevTokenOptions,
  type GatewayAuthConfig,
  type Identity,
  type IdentitySigningConfig,
} from '../../lib/auth/index.ts';
import type { GraphQLResponse } from './gateway.ts';

/**
 * The identity-signing secret test subgraphs and test gateways share. It differs from the
 * development default on purpose: a test that passes only proves something if the secret it uses
 * is the one the subgraphs were started with.
 */
export const TEST_SIGNING_SECRET = 'test-gateway-signing-secret-0123456789abcdef';

export const TEST_SIGNING: IdentitySigningConfig = {
  secret: new TextEncoder().encode(TEST_SIGNING_SECRET),
  maxAgeSeconds: 60,
};

/** A gateway's auth as in development (tokens from `devToken`), signing with the test secret. */
export function testGatewayAuth(signing: IdentitySigningConfig = TEST_SIGNING): GatewayAuthConfig {
  return { jwt: jwtConfigFromEnv({ NODE_ENV: 'test' }), signing };
}

/** The `authorization` header of a client signed in as `userId` (a development token). */
export async function asUser(userId: string, options: DevTokenOptions = {}): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await devToken(userId, options)}` };
}

/** POSTs straight to a subgraph, as a gateway would (or, with other headers, as an attacker would). */
export async function postToSubgraph(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string>,
): Promise<GraphQLResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as GraphQLResponse['body'],
  };
}

/** The headers a gateway signs for `identity`, with the test secret unless told otherwise. */
export function gatewaySigned(
  identity: Identity,
  options: { signing?: IdentitySigningConfig; now?: number } = {},
): Record<string, string> {
  return signIdentity(identity, options.signing ?? TEST_SIGNING, options.now);
}
