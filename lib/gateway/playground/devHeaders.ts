import { devToken, type JwtConfig } from '../../auth/index.ts';
import { DEMO_USER_ID } from '../../seed/index.ts';

/**
 * The demo user's bearer token, signed the way this gateway verifies tokens, for the playground's
 * headers in development. None when the gateway trusts a JWKS: only the identity provider holds
 * that private key.
 */
export async function demoUserHeaders(jwt: JwtConfig): Promise<Record<string, string>> {
  if (jwt.keySource.kind !== 'secret') return {};
  const token = await devToken(DEMO_USER_ID, {
    secret: jwt.keySource.secret,
    issuer: jwt.issuer,
    audience: jwt.audience,
  });
  return { authorization: `Bearer ${token}` };
}
