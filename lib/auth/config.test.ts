import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthConfigError,
  DEV_JWT_AUDIENCE,
  DEV_JWT_ISSUER,
  DEV_JWT_SECRET,
  DEV_SIGNING_SECRET,
  gatewayAuthConfigFromEnv,
  identitySigningConfigFromEnv,
  jwtConfigFromEnv,
} from './config.ts';

const SECRET = 'x'.repeat(32);
const PRODUCTION = {
  NODE_ENV: 'production',
  JWT_SECRET: 'p'.repeat(40),
  JWT_ISSUER: 'https://id.example.com',
  JWT_AUDIENCE: 'bff',
  GATEWAY_SIGNING_SECRET: 's'.repeat(40),
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'auth-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The issues a configuration is refused with (fails the test when it is accepted). */
function refusal(read: () => unknown): string[] {
  try {
    read();
  } catch (error) {
    if (error instanceof AuthConfigError) return error.issues;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('development defaults', () => {
  it('verifies development tokens and signs with the development secret when nothing is set', () => {
    const config = gatewayAuthConfigFromEnv({ NODE_ENV: 'development' });
    expect(config.jwt.keySource.kind).toBe('secret');
    expect(config.jwt.keySource.kind === 'secret' && new TextDecoder().decode(config.jwt.keySource.secret)).toBe(
      DEV_JWT_SECRET,
    );
    expect(config.jwt.keySource.algorithms).toEqual(['HS256', 'HS384', 'HS512']);
    expect([config.jwt.issuer, config.jwt.audience, config.jwt.clockToleranceSeconds]).toEqual([
      DEV_JWT_ISSUER,
      DEV_JWT_AUDIENCE,
      60,
    ]);
    expect(new TextDecoder().decode(config.signing.secret)).toBe(DEV_SIGNING_SECRET);
    expect(config.signing.maxAgeSeconds).toBe(60);
  });

  it('treats an empty variable as unset', () => {
    expect(jwtConfigFromEnv({ JWT_SECRET: '', JWT_ISSUER: '' }).issuer).toBe(DEV_JWT_ISSUER);
  });

  it('reads the signature window', () => {
    expect(identitySigningConfigFromEnv({ GATEWAY_SIGNATURE_MAX_AGE_SECONDS: '5' }).maxAgeSeconds).toBe(5);
    expect(refusal(() => identitySigningConfigFromEnv({ GATEWAY_SIGNATURE_MAX_AGE_SECONDS: '0' }))[0]).toMatch(
      /^GATEWAY_SIGNATURE_MAX_AGE_SECONDS: /,
    );
  });
});

describe('production', () => {
  it('refuses to start without a key source, issuer, audience and signing secret, naming each variable', () => {
    const issues = refusal(() => gatewayAuthConfigFromEnv({ NODE_ENV: 'production' }));
    expect(issues).toEqual([
      'JWT_SECRET | JWT_JWKS_FILE | JWT_JWKS_URL: a key source is required in production',
      'JWT_ISSUER: is required in production',
      'JWT_AUDIENCE: is required in production',
      'GATEWAY_SIGNING_SECRET: is required in production',
    ]);
  });

  it('a subgraph refuses to start without the signing secret', () => {
    expect(refusal(() => identitySigningConfigFromEnv({ NODE_ENV: 'production' }))).toEqual([
      'GATEWAY_SIGNING_SECRET: is required in production',
    ]);
  });

  it('refuses the public development secrets', () => {
    const issues = refusal(() =>
      gatewayAuthConfigFromEnv({
        ...PRODUCTION,
        JWT_SECRET: DEV_JWT_SECRET,
        GATEWAY_SIGNING_SECRET: DEV_SIGNING_SECRET,
      }),
    );
    expect(issues).toEqual([
      'JWT_SECRET: is the public development secret, refused in production',
      'GATEWAY_SIGNING_SECRET: is the public development secret, refused in production',
    ]);
  });

  it('refuses a JWKS fetched over plain http', () => {
    const { JWT_SECRET: _secret, ...rest } = PRODUCTION;
    expect(refusal(() => jwtConfigFromEnv({ ...rest, JWT_JWKS_URL: 'http://id.example.com/jwks.json' }))).toEqual([
      'JWT_JWKS_URL: must use https in production',
    ]);
    expect(jwtConfigFromEnv({ ...rest, JWT_JWKS_URL: 'https://id.example.com/jwks.json' }).keySource.kind).toBe(
      'jwks-url',
    );
  });

  it('starts with every secret set', () => {
    const config = gatewayAuthConfigFromEnv(PRODUCTION);
    expect(config.jwt.issuer).toBe('https://id.example.com');
    expect(new TextDecoder().decode(config.signing.secret)).toBe(PRODUCTION.GATEWAY_SIGNING_SECRET);
  });
});

describe('key sources', () => {
  it('refuses secrets shorter than 32 bytes', () => {
    expect(refusal(() => jwtConfigFromEnv({ JWT_SECRET: 'x'.repeat(31) }))).toEqual([
      'JWT_SECRET: must be at least 32 bytes',
    ]);
    expect(refusal(() => identitySigningConfigFromEnv({ GATEWAY_SIGNING_SECRET: 'short' }))).toEqual([
      'GATEWAY_SIGNING_SECRET: must be at least 32 bytes',
    ]);
    expect(jwtConfigFromEnv({ JWT_SECRET: SECRET }).keySource.kind).toBe('secret');
  });

  it('refuses two key sources at once', () => {
    expect(
      refusal(() => jwtConfigFromEnv({ JWT_SECRET: SECRET, JWT_JWKS_URL: 'https://id.example.com/jwks' })),
    ).toEqual(['JWT_SECRET, JWT_JWKS_URL: set only one key source']);
  });

  it('reads a JWKS file once and accepts only asymmetric algorithms with it', async () => {
    const { publicKey } = await generateKeyPair('RS256', { extractable: true });
    const path = join(dir, 'jwks.json');
    await writeFile(path, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' }] }));
    const config = jwtConfigFromEnv({ JWT_JWKS_FILE: path });
    expect(config.keySource.kind).toBe('jwks-file');
    expect(config.keySource.algorithms).not.toContain('HS256');
    expect(config.keySource.algorithms).toContain('RS256');
    expect(config.keySource.algorithms).toContain('ES256');
    expect(config.keySource.algorithms).toContain('EdDSA');
  });

  it('names JWT_JWKS_FILE when the file is missing, not JSON, empty or holds a symmetric key', async () => {
    const notJson = join(dir, 'not.json');
    const empty = join(dir, 'empty.json');
    const symmetric = join(dir, 'oct.json');
    await writeFile(notJson, 'keys:');
    await writeFile(empty, JSON.stringify({ keys: [] }));
    await writeFile(symmetric, JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }));
    expect(refusal(() => jwtConfigFromEnv({ JWT_JWKS_FILE: join(dir, 'missing.json') }))[0]).toMatch(
      /^JWT_JWKS_FILE: cannot read .*ENOENT/,
    );
    expect(refusal(() => jwtConfigFromEnv({ JWT_JWKS_FILE: notJson }))[0]).toMatch(/^JWT_JWKS_FILE: .* is not JSON$/);
    expect(refusal(() => jwtConfigFromEnv({ JWT_JWKS_FILE: empty }))[0]).toMatch(/^JWT_JWKS_FILE: .*holds no key$/);
    expect(refusal(() => jwtConfigFromEnv({ JWT_JWKS_FILE: symmetric }))[0]).toMatch(
      /^JWT_JWKS_FILE: .*public keys only/,
    );
  });

  it('refuses a JWKS URL that is not http(s)', () => {
    expect(refusal(() => jwtConfigFromEnv({ JWT_JWKS_URL: 'file:///etc/jwks.json' }))).toEqual([
      'JWT_JWKS_URL: must be an http(s) URL',
    ]);
    expect(refusal(() => jwtConfigFromEnv({ JWT_JWKS_URL: 'not a url' }))).toEqual([
      'JWT_JWKS_URL: must be an http(s) URL',
    ]);
  });
});
