import type { GatewayName } from '../services.ts';
import type { BffDefinition } from './bff.ts';
import type { OperationLimits } from './limits.ts';
import type { PersistedQueryManifest } from './persistedOperations.ts';
import type { RateLimitBudgets } from '../ratelimit/index.ts';

/** Which operations a gateway runs: any within its limits (plus APQ), or registered ones only. */
export type OperationPolicy = { kind: 'open' } | { kind: 'persisted-only'; manifest: PersistedQueryManifest };

export function isPersistedOnly(
  policy: OperationPolicy,
): policy is Extract<OperationPolicy, { kind: 'persisted-only' }> {
  return policy.kind === 'persisted-only';
}

/**
 * What makes one BFF gateway differ from the other: its BFF subgraph, its operation policy and its
 * limits. Everything else is the shared core in lib/gateway.
 */
export interface GatewayProfile {
  name: GatewayName;
  bff: BffDefinition;
  operations: OperationPolicy;
  limits: OperationLimits;
  /** Per-user budgets per operation kind and for single fields such as `Mutation.checkout` (RATE_LIMIT_* override them). */
  rateLimitBudgets: RateLimitBudgets;
  /** Fields refused with SERVICE_UNAVAILABLE, not admitted on the insurance limiter, while Redis is down (RATE_LIMIT_FAIL_CLOSED_FIELDS overrides). */
  rateLimitFailClosedFields: string[];
}
