import type { IncomingMessage } from 'node:http';
import {
  bearerToken,
  KeySetUnavailableError,
  signIdentity,
  TokenRejectedError,
  type Client,
  type Identity,
  type IdentitySigningConfig,
  type TokenVerifier,
} from '../auth/index.ts';
import { requestError } from '../errors.ts';
import { clientAddress, type TrustedProxies } from './clientIp.ts';
import type { RequestInfo } from '../http/index.ts';
import type { Logger } from '../observability/index.ts';
import type { RequestCaching } from '../cache/requestCaching.ts';
import { RequestRateLimit, type Admission } from '../ratelimit/index.ts';

/** What the gateway knows about a request and passes on to subgraph calls. */
export interface GatewayContext {
  requestId: string;
  /** W3C trace context sent to every subgraph call of this request. */
  traceparent: string;
  /** The verified user (from the bearer token), null for an anonymous caller. */
  userId: string | null;
  client: Client;
  /** The client's address: what anonymous callers' rate limits are keyed by (from proxy headers only behind TRUSTED_PROXIES). */
  clientIp: string;
  /**
   * This request's rate limiting (lib/ratelimit/requestRateLimit.ts): the admission the response
   * cache's fast path spent before leaving the request to the ordinary path (taken over instead of
   * spending again), then the admission decided, which `Query.rateLimit` and the answer's
   * `extensions.rateLimit` read.
   */
  rateLimit: RequestRateLimit;
  /**
   * The caches' work for this request (lib/cache/requestCaching.ts), set by whichever path starts it
   * (the response-cache plugin or the known-query path); subgraph fetches add to its state.
   */
  cache?: RequestCaching;
  /** Headers that carry this request's identity to a subgraph, signed now: call once per subgraph request. */
  signedIdentityHeaders(): Record<string, string>;
}

export interface GatewayContextDeps {
  client: Client;
  verifier: TokenVerifier;
  signing: IdentitySigningConfig;
  /** The proxies whose `Forwarded` / `X-Forwarded-For` name the client; null trusts none. */
  trustedProxies?: TrustedProxies | null;
  /** What the response cache's fast path already spent for this request, if anything. */
  preAdmission?: (req: IncomingMessage) => Admission | undefined;
}

async function authenticate(req: IncomingMessage, deps: GatewayContextDeps, logger: Logger): Promise<Identity> {
  try {
    const token = bearerToken(req.headers.authorization);
    if (token === null) return { userId: null, client: deps.client };
    const { userId } = await deps.verifier.verify(token);
    return { userId, client: deps.client };
  } catch (error) {
    // Thrown before any operation is planned, so a bad token never reaches a subgraph.
    if (error instanceof TokenRejectedError) {
      logger.info({ reason: error.reason }, 'refused a bearer token');
      throw requestError('UNAUTHENTICATED', error.reason, { 'www-authenticate': 'Bearer error="invalid_token"' });
    }
    if (error instanceof KeySetUnavailableError) {
      logger.error({ err: error.cause }, 'token signing keys unavailable');
      throw requestError('SERVICE_UNAVAILABLE', 'Sign-in cannot be checked right now; try again shortly');
    }
    throw error;
  }
}

/** How long one request's signed identity headers are reused by its later subgraph calls. */
export const SIGNATURE_REUSE_MS = 1000;

/**
 * This request's identity headers, signed afresh once the last signature is SIGNATURE_REUSE_MS
 * old: a plan's fetches that leave together share one HMAC, and a retry or a late call of a long
 * plan still carries a timestamp at most that old. The headers are frozen: callers only copy them.
 */
function recentlySigned(identity: Identity, signing: IdentitySigningConfig): () => Record<string, string> {
  let signed: Readonly<Record<string, string>> | null = null;
  let at = 0;
  return () => {
    const now = Date.now();
    if (!signed || now - at >= SIGNATURE_REUSE_MS) {
      signed = Object.freeze(signIdentity(identity, signing, now));
      at = now;
    }
    return signed;
  };
}

/**
 * The per-request context factory of a gateway: verifies the bearer token (none means anonymous;
 * a bad one ends the request with 401 UNAUTHENTICATED) and prepares what subgraph calls forward.
 */
export function gatewayContextFactory(deps: GatewayContextDeps) {
  return async ({ req, requestId, traceparent, logger }: RequestInfo): Promise<GatewayContext> => {
    const identity = await authenticate(req, deps, logger);
    return {
      rateLimit: new RequestRateLimit(deps.preAdmission?.(req)),
      requestId,
      traceparent,
      userId: identity.userId,
      client: identity.client,
      clientIp: clientAddress(req, deps.trustedProxies ?? null),
      signedIdentityHeaders: recentlySigned(identity, deps.signing),
    };
  };
}
