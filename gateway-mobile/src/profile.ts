import { readFileSync } from 'node:fs';
import { isManifest, MOBILE_MANIFEST_PATH, type GatewayProfile } from '../../lib/gateway/index.ts';
import { CHECKOUT_FIELD } from '../../lib/ratelimit/index.ts';
import { mobileBff } from './bff.ts';

function loadManifest() {
  const manifest: unknown = JSON.parse(readFileSync(MOBILE_MANIFEST_PATH, 'utf8'));
  if (!isManifest(manifest))
    throw new Error(`${MOBILE_MANIFEST_PATH} is not an Apollo persisted query manifest; run npm run compose`);
  return manifest;
}

/** The mobile BFF: registered operations only (gateway-mobile/operations), tighter limits. */
export const mobileProfile: GatewayProfile = {
  name: 'mobile',
  bff: mobileBff,
  operations: { kind: 'persisted-only', manifest: loadManifest() },
  limits: { maxDepth: 10, maxAliases: 5, maxDirectives: 10, maxTokens: 2000, maxCost: 1000 },
  // Mobile operations are small and registered: a tighter budget still allows ~100 dashboards a minute.
  rateLimitBudgets: {
    query: { points: 10_000, windowSeconds: 60 },
    mutation: { points: 30, windowSeconds: 60 },
    fields: { [CHECKOUT_FIELD]: { points: 10, windowSeconds: 60 } },
  },
  rateLimitFailClosedFields: [CHECKOUT_FIELD],
};
