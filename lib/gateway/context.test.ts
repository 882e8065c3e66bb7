// A request's identity headers: one signature shared by the subgraph calls that leave within
// SIGNATURE_REUSE_MS, a fresh one after, each accepted by the subgraphs' check.
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createTokenVerifier,
  devToken,
  IDENTITY_HEADERS,
  identitySigningConfigFromEnv,
  jwtConfigFromEnv,
  verifySignedIdentity,
} from '../auth/index.ts';
import { silentLogger } from '../observability/index.ts';
import { gatewayContextFactory, SIGNATURE_REUSE_MS } from './context.ts';

const signing = identitySigningConfigFromEnv({});
const USER = '6f1c1d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f';

afterEach(() => {
  vi.useRealTimers();
});

describe('signed identity headers of a request', () => {
  it('are signed once per SIGNATURE_REUSE_MS and always verify as the caller', async () => {
    const context = await gatewayContextFactory({
      client: 'web',
      verifier: createTokenVerifier(jwtConfigFromEnv({})),
      signing,
    })({
      req: { headers: { authorization: `Bearer ${await devToken(USER)}` }, socket: {} } as IncomingMessage,
      requestId: 'r',
      traceparent: '',
      logger: silentLogger(),
    });
    vi.useFakeTimers({ now: Date.now() });
    const first = context.signedIdentityHeaders();
    vi.advanceTimersByTime(SIGNATURE_REUSE_MS - 1);
    const second = context.signedIdentityHeaders();
    expect(second[IDENTITY_HEADERS.signature]).toBe(first[IDENTITY_HEADERS.signature]);
    vi.advanceTimersByTime(1);
    const third = context.signedIdentityHeaders();
    expect(Number(third[IDENTITY_HEADERS.timestamp])).toBe(
      Number(first[IDENTITY_HEADERS.timestamp]) + SIGNATURE_REUSE_MS,
    );
    for (const headers of [first, second, third]) {
      const verdict = verifySignedIdentity(headers, signing);
      expect(verdict).toEqual({ ok: true, identity: { userId: USER, client: 'web' } });
    }
  });
});
