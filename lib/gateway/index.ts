export { gatewayConfigFromEnv, type GatewayConfig } from './config.ts';
export {
  createGatewayApollo,
  startGateway,
  subgraphUpstreams,
  type GatewayParts,
  type RunningGateway,
} from './gateway.ts';
export { runGatewayProcess } from './runProcess.ts';
export { SubgraphClient } from './subgraphClient.ts';
export {
  SubgraphUpstreams,
  type BreakerState,
  type SubgraphPolicy,
  type SubgraphPolicyOverride,
  type SubgraphPolicyOverrides,
  type UpstreamStats,
} from '../transport/index.ts';
export type { InstanceStats } from '../transport/index.ts';
export type { GatewayContext } from './context.ts';
export { bffDataSource, dashboardFor, signedInUserId, type BffDefinition } from './bff.ts';
export { LIMIT_CODES, type OperationLimits } from './limits.ts';
export {
  buildManifest,
  isManifest,
  operationId,
  type PersistedQueryManifest,
  type PersistedOperation,
} from './persistedOperations.ts';
export { isPersistedOnly, type GatewayProfile, type OperationPolicy } from './profile.ts';
export { MOBILE_MANIFEST_PATH, MOBILE_OPERATIONS_DIR, operationsDir } from './paths.ts';
