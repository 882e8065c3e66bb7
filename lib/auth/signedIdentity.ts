import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { isUuid } from '../graphql/ids.ts';
import type { IdentitySigningConfig } from './config.ts';
import { isClient, type Identity } from './identity.ts';

/**
 * The headers a gateway forwards a verified identity in. Subgraphs believe them only with a valid,
 * fresh signature, so reaching a subgraph port directly does not let anyone act as a user.
 */
export const IDENTITY_HEADERS = {
  userId: 'x-bff-user-id',
  client: 'x-bff-client',
  timestamp: 'x-bff-timestamp',
  signature: 'x-bff-signature',
} as const;

/** Bumped when the signed fields change, so old and new gateways are never confused with each other. */
const SIGNATURE_VERSION = 'v1';

export type IdentityVerdict = { ok: true; identity: Identity } | { ok: false; reason: string };

/**
 * The bytes signed: version, user id (empty when anonymous), client and timestamp, one per line.
 * None of them can contain a newline (they are checked first), so two different identities never
 * produce the same payload.
 */
function mac(secret: Uint8Array, userId: string, client: string, timestamp: string): Buffer {
  return createHmac('sha256', secret).update(`${SIGNATURE_VERSION}\n${userId}\n${client}\n${timestamp}`).digest();
}

/** Headers that prove to a subgraph who the request is for; made fresh for every subgraph call. */
export function signIdentity(
  identity: Identity,
  config: Pick<IdentitySigningConfig, 'secret'>,
  now = Date.now(),
): Record<string, string> {
  const userId = identity.userId ?? '';
  const timestamp = String(now);
  const headers: Record<string, string> = {
    [IDENTITY_HEADERS.client]: identity.client,
    [IDENTITY_HEADERS.timestamp]: timestamp,
    [IDENTITY_HEADERS.signature]: `${SIGNATURE_VERSION}=${mac(config.secret, userId, identity.client, timestamp).toString('base64url')}`,
  };
  if (userId) headers[IDENTITY_HEADERS.userId] = userId;
  return headers;
}

function single(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? undefined : value;
}

/**
 * Checks the gateway's signature and its age. Anything short of a valid signature over exactly
 * these values, made within `maxAgeSeconds` either way (clocks of two hosts differ), is refused.
 */
export function verifySignedIdentity(
  headers: IncomingHttpHeaders,
  config: IdentitySigningConfig,
  now = Date.now(),
): IdentityVerdict {
  const signature = single(headers, IDENTITY_HEADERS.signature);
  if (!signature) return { ok: false, reason: 'no gateway signature' };
  const userId = single(headers, IDENTITY_HEADERS.userId) ?? '';
  const client = single(headers, IDENTITY_HEADERS.client);
  const timestamp = single(headers, IDENTITY_HEADERS.timestamp);
  if (userId !== '' && !isUuid(userId)) return { ok: false, reason: 'malformed user id' };
  if (!isClient(client)) return { ok: false, reason: 'unknown client' };
  if (!timestamp || !/^\d{1,15}$/.test(timestamp)) return { ok: false, reason: 'malformed timestamp' };
  const prefix = `${SIGNATURE_VERSION}=`;
  if (!signature.startsWith(prefix)) return { ok: false, reason: 'unsupported signature version' };

  const given = Buffer.from(signature.slice(prefix.length), 'base64url');
  const expected = mac(config.secret, userId, client, timestamp);
  // Lengths are compared first because timingSafeEqual requires equal lengths; a length reveals nothing secret.
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'bad signature' };
  if (Math.abs(now - Number(timestamp)) > config.maxAgeSeconds * 1000) return { ok: false, reason: 'stale signature' };
  return { ok: true, identity: { userId: userId ? userId.toLowerCase() : null, client } };
}
