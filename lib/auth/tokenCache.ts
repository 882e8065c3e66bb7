import type { TokenVerifier, VerifiedToken } from './jwt.ts';

export interface TokenCacheOptions {
  /** Tokens remembered at most; the least recently used goes first. */
  capacity: number;
  /**
   * Longest a verification is reused, whatever the token's `exp`: bounded for a remote key set, so
   * a key withdrawn from the JWKS stops being trusted as soon as jose would stop trusting it.
   */
  maxAgeMs: number;
  now?: () => number;
}

/**
 * Remembers successful verifications by the token's exact text, so a client repeating its token
 * (every request of a session) costs one signature check, not one per request. An entry is never
 * used at or past the token's `exp` (the clock tolerance jose allows is not extended to cached
 * tokens: an expiring token is verified again and refused by jose itself), nor past `maxAgeMs`.
 * Refusals are never remembered: a bad token is checked, and refused, every time.
 */
export function cachingVerifier(verifier: TokenVerifier, options: TokenCacheOptions): TokenVerifier {
  const now = options.now ?? Date.now;
  const known = new Map<string, { verified: VerifiedToken; until: number }>();
  return {
    async verify(token) {
      const hit = known.get(token);
      const t = now();
      if (hit) {
        known.delete(token);
        if (hit.until > t) {
          // A Map iterates in insertion order: re-inserting makes this the most recently used.
          known.set(token, hit);
          return hit.verified;
        }
      }
      const verified = await verifier.verify(token);
      const exp = typeof verified.claims.exp === 'number' ? verified.claims.exp * 1000 : t;
      const until = Math.min(exp, t + options.maxAgeMs);
      if (until > t) {
        if (known.size >= options.capacity) known.delete(known.keys().next().value ?? '');
        known.set(token, { verified, until });
      }
      return verified;
    },
  };
}
