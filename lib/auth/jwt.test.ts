import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url, exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ASYMMETRIC_ALGORITHMS,
  DEV_JWT_AUDIENCE,
  DEV_JWT_ISSUER,
  DEV_JWT_SECRET,
  jwtConfigFromEnv,
  type JwtConfig,
} from './config.ts';
import {
  bearerToken,
  createTokenVerifier,
  devToken,
  devTokenFromEnv,
  KeySetUnavailableError,
  TokenRejectedError,
} from './jwt.ts';

const USER = '6f1c2b9a-3d4e-4f50-8a61-7b8c9d0e1f23';
const now = () => Math.floor(Date.now() / 1000);
const devVerifier = createTokenVerifier(jwtConfigFromEnv({ NODE_ENV: 'test' }));

/** Why a token was refused; fails the test when it was accepted. */
async function rejection(token: string, verifier = devVerifier): Promise<string> {
  try {
    await verifier.verify(token);
  } catch (error) {
    if (error instanceof TokenRejectedError) {
      expect(error.reason).not.toContain(token);
      return error.reason;
    }
    throw error;
  }
  throw new Error('the token was accepted');
}

function unsigned(payload: Record<string, unknown>): string {
  const encode = (value: object) => base64url.encode(JSON.stringify(value));
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(payload)}.`;
}

describe('bearer header', () => {
  it('no header is an anonymous caller; a header of another shape is refused', () => {
    expect(bearerToken(undefined)).toBeNull();
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer  abc.def.ghi ')).toBe('abc.def.ghi');
    for (const value of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'abc.def.ghi', 'Bearer a b']) {
      expect(() => bearerToken(value), value).toThrow(TokenRejectedError);
    }
  });
});

describe('shared-secret tokens', () => {
  it('accepts a development token and returns its user', async () => {
    const verified = await devVerifier.verify(await devToken(USER.toUpperCase()));
    expect(verified.userId).toBe(USER);
    expect(verified.claims.iss).toBe(DEV_JWT_ISSUER);
  });

  it('honours exp with 60 s of clock skew', async () => {
    const issuedAt = now() - 3600;
    expect(await rejection(await devToken(USER, { issuedAt, expiresInSeconds: 3600 - 61 }))).toBe(
      'The token has expired',
    );
    expect((await devVerifier.verify(await devToken(USER, { issuedAt, expiresInSeconds: 3600 - 50 }))).userId).toBe(
      USER,
    );
  });

  it('honours nbf with the same skew', async () => {
    expect(await rejection(await devToken(USER, { notBefore: now() + 120 }))).toBe('The token is not valid yet');
    expect((await devVerifier.verify(await devToken(USER, { notBefore: now() + 50 }))).userId).toBe(USER);
  });

  it('refuses another issuer, another audience, another secret', async () => {
    expect(await rejection(await devToken(USER, { issuer: 'someone-else' }))).toBe(
      'The token was issued by an issuer this gateway does not trust',
    );
    expect(await rejection(await devToken(USER, { audience: 'another-api' }))).toBe(
      'The token is meant for another audience',
    );
    expect(await rejection(await devToken(USER, { secret: 'y'.repeat(32) }))).toBe(
      "The token's signature is not valid",
    );
  });

  it('accepts each HMAC algorithm with the one secret, in any order, and a forged one of each never', async () => {
    for (const algorithm of ['HS512', 'HS256', 'HS384', 'HS512', 'HS256'] as const) {
      expect((await devVerifier.verify(await devToken(USER, { algorithm }))).userId, algorithm).toBe(USER);
      expect(await rejection(await devToken(USER, { algorithm, secret: 'y'.repeat(32) }))).toBe(
        "The token's signature is not valid",
      );
    }
  });

  it('requires exp, and a subject that is a user id', async () => {
    const secret = new TextEncoder().encode(DEV_JWT_SECRET);
    const base = () =>
      new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(DEV_JWT_ISSUER).setAudience(DEV_JWT_AUDIENCE);
    expect(await rejection(await base().setSubject(USER).sign(secret))).toBe(
      'The token\'s "exp" claim is missing or not valid',
    );
    expect(await rejection(await base().setSubject('admin').setExpirationTime('1h').sign(secret))).toBe(
      "The token's subject is not a user id",
    );
    expect(await rejection(await base().setExpirationTime('1h').sign(secret))).toBe(
      'The token\'s "sub" claim is missing or not valid',
    );
  });

  it('refuses alg "none", an asymmetric algorithm, and garbage', async () => {
    expect(await rejection(unsigned({ sub: USER, iss: DEV_JWT_ISSUER, aud: DEV_JWT_AUDIENCE, exp: now() + 600 }))).toBe(
      "The token's signing algorithm is not accepted",
    );
    const { privateKey } = await generateKeyPair('RS256');
    const rs = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setSubject(USER)
      .setIssuer(DEV_JWT_ISSUER)
      .setAudience(DEV_JWT_AUDIENCE)
      .setExpirationTime('1h')
      .sign(privateKey);
    expect(await rejection(rs)).toBe("The token's signing algorithm is not accepted");
    expect(await rejection('not.a.jwt')).toBe('The token is malformed');
  });
});

describe('JWKS tokens', () => {
  let privateKey: CryptoKey;
  let publicJwk: JWK;
  let publicPem: string;
  let config: JwtConfig;
  let server: Server;
  let served = 0;

  const rs256 = (key: CryptoKey, kid = 'k1') =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid })
      .setSubject(USER)
      .setIssuer('https://id.example.com')
      .setAudience('bff')
      .setExpirationTime('10m')
      .sign(key);

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    publicPem = await exportSPKI(pair.publicKey);
    const base = { issuer: 'https://id.example.com', audience: 'bff', clockToleranceSeconds: 60 };
    config = {
      ...base,
      keySource: { kind: 'jwks-file', path: 'memory', jwks: { keys: [publicJwk] }, algorithms: ASYMMETRIC_ALGORITHMS },
    };
    server = createServer((_req, res) => {
      served += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('verifies an RS256 token against a local key set', async () => {
    expect((await createTokenVerifier(config).verify(await rs256(privateKey))).userId).toBe(USER);
  });

  it('verifies an RS256 token against a key set served over HTTP, fetched once', async () => {
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`);
    const verifier = createTokenVerifier({
      ...config,
      keySource: { kind: 'jwks-url', url, algorithms: ASYMMETRIC_ALGORITHMS },
    });
    served = 0;
    expect((await verifier.verify(await rs256(privateKey))).userId).toBe(USER);
    expect((await verifier.verify(await rs256(privateKey))).userId).toBe(USER);
    expect(served).toBe(1);
  });

  it('refuses an HS256 token whose secret is the public key (the RS/HS confusion attack)', async () => {
    const claims = () =>
      new SignJWT({}).setSubject(USER).setIssuer('https://id.example.com').setAudience('bff').setExpirationTime('10m');
    const verifier = createTokenVerifier(config);
    for (const secret of [publicPem, JSON.stringify(publicJwk), publicJwk.n ?? '']) {
      const forged = await claims()
        .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
        .sign(new TextEncoder().encode(secret));
      expect(await rejection(forged, verifier)).toBe("The token's signing algorithm is not accepted");
    }
  });

  it('refuses a token signed by a key outside the set', async () => {
    const stranger = await generateKeyPair('RS256');
    expect(await rejection(await rs256(stranger.privateKey, 'k2'), createTokenVerifier(config))).toBe(
      'No trusted key matches the token',
    );
    expect(await rejection(await rs256(stranger.privateKey, 'k1'), createTokenVerifier(config))).toBe(
      "The token's signature is not valid",
    );
  });

  it('an unreachable key set is our failure, not a bad token', async () => {
    const verifier = createTokenVerifier({
      ...config,
      keySource: { kind: 'jwks-url', url: new URL('http://127.0.0.1:1/jwks.json'), algorithms: ASYMMETRIC_ALGORITHMS },
    });
    await expect(verifier.verify(await rs256(privateKey))).rejects.toBeInstanceOf(KeySetUnavailableError);
  });
});

describe('development tokens', () => {
  it('refuses a subject that is not a user id', async () => {
    await expect(devToken('admin')).rejects.toThrow(/UUID/);
  });

  it('signs with JWT_SECRET when set, never in production, never for a JWKS', async () => {
    const env = { NODE_ENV: 'development', JWT_SECRET: 'z'.repeat(32), JWT_ISSUER: 'me', JWT_AUDIENCE: 'us' };
    const verifier = createTokenVerifier(jwtConfigFromEnv(env));
    expect((await verifier.verify(await devTokenFromEnv(USER, env))).userId).toBe(USER);
    await expect(devTokenFromEnv(USER, { ...env, NODE_ENV: 'production' })).rejects.toThrow(/production/);
    await expect(devTokenFromEnv(USER, { JWT_JWKS_URL: 'https://id.example.com/jwks' })).rejects.toThrow(/JWKS/);
  });
});
