import { readFileSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import { z } from 'zod';

/**
 * Development defaults. They are public (they are in this file), so production refuses them: a
 * token or a signature made with them proves nothing there.
 */
export const DEV_JWT_SECRET = 'bff-development-jwt-secret-not-for-production';
export const DEV_JWT_ISSUER = 'bff-dev';
export const DEV_JWT_AUDIENCE = 'bff';
export const DEV_SIGNING_SECRET = 'bff-development-gateway-signing-secret-not-for-production';

/** Leeway on `exp`/`nbf` for clocks that disagree between the token issuer and the gateway. */
export const JWT_CLOCK_TOLERANCE_SECONDS = 60;
export const DEFAULT_SIGNATURE_MAX_AGE_SECONDS = 60;
const MIN_SECRET_BYTES = 32;

/**
 * Each key source accepts only the algorithms its key can be used with. A shared secret never
 * verifies an RS/ES token, and a JWKS of public keys never verifies an HS token: otherwise a public
 * key, which anyone may read, could be used as an HMAC secret to forge tokens.
 */
export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

export type JwtKeySource =
  | { kind: 'secret'; secret: Uint8Array; algorithms: readonly string[] }
  | { kind: 'jwks-file'; path: string; jwks: JSONWebKeySet; algorithms: readonly string[] }
  | { kind: 'jwks-url'; url: URL; algorithms: readonly string[] };

export interface JwtConfig {
  keySource: JwtKeySource;
  issuer: string;
  audience: string;
  clockToleranceSeconds: number;
}

/** The shared secret the gateways sign forwarded identities with, and how long a signature stays valid. */
export interface IdentitySigningConfig {
  secret: Uint8Array;
  maxAgeSeconds: number;
}

export interface GatewayAuthConfig {
  jwt: JwtConfig;
  signing: IdentitySigningConfig;
}

/** A configuration the process must not start with; the message names every variable at fault. */
export class AuthConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid authentication configuration: ${issues.join('; ')}`);
    this.name = 'AuthConfigError';
  }
}

export function isProduction(env: NodeJS.ProcessEnv): boolean {
  return env.NODE_ENV === 'production';
}

/** An empty variable (`JWT_SECRET=` in a compose file) means unset, not an empty secret. */
const optionalString = z.preprocess((value) => (value === '' ? undefined : value), z.string().optional());

const secretBytes = (value: string | undefined) =>
  value === undefined || Buffer.byteLength(value, 'utf8') >= MIN_SECRET_BYTES;
const secretMessage = `must be at least ${MIN_SECRET_BYTES} bytes`;

const jwtEnvSchema = z
  .object({
    NODE_ENV: optionalString,
    JWT_SECRET: optionalString.refine(secretBytes, secretMessage),
    JWT_JWKS_FILE: optionalString,
    JWT_JWKS_URL: optionalString,
    JWT_ISSUER: optionalString,
    JWT_AUDIENCE: optionalString,
  })
  .superRefine((env, ctx) => {
    const production = env.NODE_ENV === 'production';
    const sources = (['JWT_SECRET', 'JWT_JWKS_FILE', 'JWT_JWKS_URL'] as const).filter(
      (name) => env[name] !== undefined,
    );
    if (sources.length > 1) {
      ctx.addIssue({ code: 'custom', path: [sources.join(', ')], message: 'set only one key source' });
    }
    if (production && sources.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_SECRET | JWT_JWKS_FILE | JWT_JWKS_URL'],
        message: 'a key source is required in production',
      });
    }
    if (production && env.JWT_SECRET === DEV_JWT_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_SECRET'],
        message: 'is the public development secret, refused in production',
      });
    }
    if (env.JWT_JWKS_URL !== undefined) {
      const url = URL.canParse(env.JWT_JWKS_URL) ? new URL(env.JWT_JWKS_URL) : null;
      if (!url || !['https:', 'http:'].includes(url.protocol)) {
        ctx.addIssue({ code: 'custom', path: ['JWT_JWKS_URL'], message: 'must be an http(s) URL' });
      } else if (production && url.protocol !== 'https:') {
        // Keys fetched in clear text could be swapped on the way, and with them every identity.
        ctx.addIssue({ code: 'custom', path: ['JWT_JWKS_URL'], message: 'must use https in production' });
      }
    }
    for (const name of ['JWT_ISSUER', 'JWT_AUDIENCE'] as const) {
      if (production && env[name] === undefined)
        ctx.addIssue({ code: 'custom', path: [name], message: 'is required in production' });
    }
  });

const signingEnvSchema = z
  .object({
    NODE_ENV: optionalString,
    GATEWAY_SIGNING_SECRET: optionalString.refine(secretBytes, secretMessage),
    GATEWAY_SIGNATURE_MAX_AGE_SECONDS: z.preprocess(
      (value) => (value === '' ? undefined : value),
      z.coerce.number().int().min(1).max(3600).default(DEFAULT_SIGNATURE_MAX_AGE_SECONDS),
    ),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== 'production') return;
    if (env.GATEWAY_SIGNING_SECRET === undefined) {
      ctx.addIssue({ code: 'custom', path: ['GATEWAY_SIGNING_SECRET'], message: 'is required in production' });
    } else if (env.GATEWAY_SIGNING_SECRET === DEV_SIGNING_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['GATEWAY_SIGNING_SECRET'],
        message: 'is the public development secret, refused in production',
      });
    }
  });

function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`);
}

const jwksSchema = z.object({
  keys: z
    .array(z.looseObject({ kty: z.string(), kid: z.string().optional(), alg: z.string().optional() }))
    .min(1, 'holds no key')
    // A symmetric key in a key set would let HS tokens verify against it; public keys only.
    .refine((keys) => keys.every((key) => key.kty !== 'oct'), 'must hold public keys only (no "oct" key)'),
});

function readJwksFile(path: string): JSONWebKeySet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AuthConfigError([
      `JWT_JWKS_FILE: cannot read ${path} (${error instanceof Error && 'code' in error ? String(error.code) : 'error'})`,
    ]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AuthConfigError([`JWT_JWKS_FILE: ${path} is not JSON`]);
  }
  const parsed = jwksSchema.safeParse(json);
  if (!parsed.success)
    throw new AuthConfigError(
      parsed.error.issues.map((i) => `JWT_JWKS_FILE: ${[path, ...i.path].join('.')} ${i.message}`),
    );
  return parsed.data;
}

/** How the gateways verify bearer tokens, read once from env; throws AuthConfigError naming the variables. */
export function jwtConfigFromEnv(env: NodeJS.ProcessEnv = process.env): JwtConfig {
  const parsed = jwtEnvSchema.safeParse(env);
  if (!parsed.success) throw new AuthConfigError(issuesOf(parsed.error));
  const values = parsed.data;
  let keySource: JwtKeySource;
  if (values.JWT_JWKS_FILE !== undefined) {
    keySource = {
      kind: 'jwks-file',
      path: values.JWT_JWKS_FILE,
      jwks: readJwksFile(values.JWT_JWKS_FILE),
      algorithms: ASYMMETRIC_ALGORITHMS,
    };
  } else if (values.JWT_JWKS_URL !== undefined) {
    keySource = { kind: 'jwks-url', url: new URL(values.JWT_JWKS_URL), algorithms: ASYMMETRIC_ALGORITHMS };
  } else {
    keySource = {
      kind: 'secret',
      secret: new TextEncoder().encode(values.JWT_SECRET ?? DEV_JWT_SECRET),
      algorithms: HMAC_ALGORITHMS,
    };
  }
  return {
    keySource,
    issuer: values.JWT_ISSUER ?? DEV_JWT_ISSUER,
    audience: values.JWT_AUDIENCE ?? DEV_JWT_AUDIENCE,
    clockToleranceSeconds: JWT_CLOCK_TOLERANCE_SECONDS,
  };
}

/** The identity-signing secret shared by gateways and subgraphs, read once from env. */
export function identitySigningConfigFromEnv(env: NodeJS.ProcessEnv = process.env): IdentitySigningConfig {
  const parsed = signingEnvSchema.safeParse(env);
  if (!parsed.success) throw new AuthConfigError(issuesOf(parsed.error));
  return {
    secret: new TextEncoder().encode(parsed.data.GATEWAY_SIGNING_SECRET ?? DEV_SIGNING_SECRET),
    maxAgeSeconds: parsed.data.GATEWAY_SIGNATURE_MAX_AGE_SECONDS,
  };
}

/** Everything a gateway needs; every variable at fault is named at once, so one restart fixes them all. */
export function gatewayAuthConfigFromEnv(env: NodeJS.ProcessEnv = process.env): GatewayAuthConfig {
  const issues: string[] = [];
  const attempt = <T>(read: () => T): T | null => {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof AuthConfigError)) throw error;
      issues.push(...error.issues);
      return null;
    }
  };
  const jwt = attempt(() => jwtConfigFromEnv(env));
  const signing = attempt(() => identitySigningConfigFromEnv(env));
  if (!jwt || !signing) throw new AuthConfigError(issues);
  return { jwt, signing };
}
