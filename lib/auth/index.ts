export { CLIENTS, isClient, type Client, type Identity } from './identity.ts';
export { requireOwner, requireService, requireUser } from './authorize.ts';
export {
  AuthConfigError,
  gatewayAuthConfigFromEnv,
  identitySigningConfigFromEnv,
  isProduction,
  jwtConfigFromEnv,
  type GatewayAuthConfig,
  type IdentitySigningConfig,
  type JwtConfig,
  type JwtKeySource,
} from './config.ts';
export {
  bearerToken,
  createTokenVerifier,
  devToken,
  devTokenFromEnv,
  KeySetUnavailableError,
  TokenRejectedError,
  type DevTokenOptions,
  type TokenVerifier,
  type VerifiedToken,
} from './jwt.ts';
export { cachingVerifier, type TokenCacheOptions } from './tokenCache.ts';
export { IDENTITY_HEADERS, signIdentity, verifySignedIdentity, type IdentityVerdict } from './signedIdentity.ts';
