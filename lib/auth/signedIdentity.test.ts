import { describe, expect, it } from 'vitest';
import type { IdentitySigningConfig } from './config.ts';
import { IDENTITY_HEADERS, signIdentity, verifySignedIdentity } from './signedIdentity.ts';

const config: IdentitySigningConfig = { secret: new TextEncoder().encode('k'.repeat(32)), maxAgeSeconds: 60 };
const USER = '6f1c2b9a-3d4e-4f50-8a61-7b8c9d0e1f23';
const OTHER = '0b7e4c1d-2a3f-4e5d-9c6b-8a7f6e5d4c3b';
const T = 1_800_000_000_000;

function verdict(headers: Record<string, string>, now = T, signing = config) {
  return verifySignedIdentity(headers, signing, now);
}

describe('signed identity headers', () => {
  it('round-trips a user and an anonymous caller, with their client', () => {
    expect(verdict(signIdentity({ userId: USER, client: 'web' }, config, T))).toEqual({
      ok: true,
      identity: { userId: USER, client: 'web' },
    });
    const anonymous = signIdentity({ userId: null, client: 'mobile' }, config, T);
    expect(anonymous[IDENTITY_HEADERS.userId]).toBeUndefined();
    expect(verdict(anonymous)).toEqual({ ok: true, identity: { userId: null, client: 'mobile' } });
  });

  it('refuses a missing signature, another secret, and an unknown version', () => {
    const signed = signIdentity({ userId: USER, client: 'web' }, config, T);
    const { [IDENTITY_HEADERS.signature]: signature = '', ...unsigned } = signed;
    expect(verdict(unsigned)).toEqual({ ok: false, reason: 'no gateway signature' });
    expect(verdict(signed, T, { ...config, secret: new TextEncoder().encode('j'.repeat(32)) })).toEqual({
      ok: false,
      reason: 'bad signature',
    });
    expect(verdict({ ...signed, [IDENTITY_HEADERS.signature]: signature.replace(/^v1=/, 'v2=') })).toEqual({
      ok: false,
      reason: 'unsupported signature version',
    });
    expect(verdict({ ...signed, [IDENTITY_HEADERS.signature]: 'v1=' })).toEqual({ ok: false, reason: 'bad signature' });
  });

  it('refuses every tampered field', () => {
    const signed = signIdentity({ userId: USER, client: 'web' }, config, T);
    expect(verdict({ ...signed, [IDENTITY_HEADERS.userId]: OTHER }).ok).toBe(false);
    expect(verdict({ ...signed, [IDENTITY_HEADERS.client]: 'service' }).ok).toBe(false);
    expect(verdict({ ...signed, [IDENTITY_HEADERS.timestamp]: String(T + 1) }).ok).toBe(false);
    // Dropping the user id does not turn a signed-in request into a valid anonymous one, nor the reverse.
    const { [IDENTITY_HEADERS.userId]: _dropped, ...withoutUser } = signed;
    expect(verdict(withoutUser).ok).toBe(false);
    const anonymous = signIdentity({ userId: null, client: 'web' }, config, T);
    expect(verdict({ ...anonymous, [IDENTITY_HEADERS.userId]: USER }).ok).toBe(false);
  });

  it('refuses malformed values before computing anything', () => {
    const signed = signIdentity({ userId: USER, client: 'web' }, config, T);
    expect(verdict({ ...signed, [IDENTITY_HEADERS.userId]: 'admin' })).toEqual({
      ok: false,
      reason: 'malformed user id',
    });
    expect(verdict({ ...signed, [IDENTITY_HEADERS.client]: 'cli' })).toEqual({ ok: false, reason: 'unknown client' });
    expect(verdict({ ...signed, [IDENTITY_HEADERS.timestamp]: '-5' })).toEqual({
      ok: false,
      reason: 'malformed timestamp',
    });
  });

  it('accepts a signature within the window either way and refuses one past it', () => {
    const signed = signIdentity({ userId: USER, client: 'service' }, config, T);
    expect(verdict(signed, T + 60_000).ok).toBe(true);
    expect(verdict(signed, T - 60_000).ok).toBe(true);
    expect(verdict(signed, T + 60_001)).toEqual({ ok: false, reason: 'stale signature' });
    expect(verdict(signed, T - 60_001)).toEqual({ ok: false, reason: 'stale signature' });
    expect(verdict(signed, T + 5_001, { ...config, maxAgeSeconds: 5 })).toEqual({
      ok: false,
      reason: 'stale signature',
    });
  });
});
