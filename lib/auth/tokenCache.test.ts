// Remembered verifications: reused until the token's exp or the cache's max age, never for refusals,
// bounded in count.
import { describe, expect, it } from 'vitest';
import { TokenRejectedError, type TokenVerifier, type VerifiedToken } from './jwt.ts';
import { cachingVerifier } from './tokenCache.ts';

function countingVerifier(exp: number | ((token: string) => number)) {
  const calls: string[] = [];
  const verifier: TokenVerifier = {
    verify(token) {
      calls.push(token);
      if (token.startsWith('bad')) return Promise.reject(new TokenRejectedError('The token is malformed'));
      const claims = { sub: token, exp: typeof exp === 'number' ? exp : exp(token) };
      return Promise.resolve({ userId: token, claims } satisfies VerifiedToken);
    },
  };
  return { verifier, calls };
}

describe('cachingVerifier', () => {
  it('verifies a token once while it is valid, and again from its exp on', async () => {
    let now = 1_000_000;
    const { verifier, calls } = countingVerifier(1_010);
    const cached = cachingVerifier(verifier, { capacity: 10, maxAgeMs: Infinity, now: () => now });
    await cached.verify('a');
    await cached.verify('a');
    now = 1_009_999;
    await cached.verify('a');
    expect(calls).toEqual(['a']);
    now = 1_010_000;
    await cached.verify('a');
    expect(calls).toEqual(['a', 'a']);
  });

  it('reuses a verification no longer than maxAgeMs', async () => {
    let now = 0;
    const { verifier, calls } = countingVerifier(10_000);
    const cached = cachingVerifier(verifier, { capacity: 10, maxAgeMs: 60_000, now: () => now });
    await cached.verify('a');
    now = 59_999;
    await cached.verify('a');
    now = 60_000;
    await cached.verify('a');
    expect(calls).toEqual(['a', 'a']);
  });

  it('never remembers a refusal', async () => {
    const { verifier, calls } = countingVerifier(10_000);
    const cached = cachingVerifier(verifier, { capacity: 10, maxAgeMs: Infinity, now: () => 0 });
    await expect(cached.verify('bad')).rejects.toThrow(TokenRejectedError);
    await expect(cached.verify('bad')).rejects.toThrow(TokenRejectedError);
    expect(calls).toEqual(['bad', 'bad']);
  });

  it('keeps at most `capacity` tokens, dropping the least recently used', async () => {
    const { verifier, calls } = countingVerifier(10_000);
    const cached = cachingVerifier(verifier, { capacity: 2, maxAgeMs: Infinity, now: () => 0 });
    for (const token of ['a', 'b', 'a', 'c', 'a', 'b']) await cached.verify(token);
    // 'b' was the least recently used when 'c' came in.
    expect(calls).toEqual(['a', 'b', 'c', 'b']);
  });
});
