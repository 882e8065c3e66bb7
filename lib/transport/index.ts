export { type BreakerState, type BreakerStats } from './breaker.ts';
export {
  clientErrorFor,
  SubgraphCallFailed,
  SubgraphCallRejected,
  type FailureReason,
  type RejectionReason,
} from './errors.ts';
export { operationKindOf, type OperationKind } from './operationKind.ts';
export {
  DEFAULT_SUBGRAPH_POLICY,
  resolvePolicy,
  subgraphPoliciesFromEnv,
  subgraphPolicySchema,
  type SubgraphPolicy,
  type SubgraphPolicyOverride,
  type SubgraphPolicyOverrides,
} from './policy.ts';
export { CALLER_TIMEOUT_HEADER, RequestDeadlines } from './deadlines.ts';
export {
  fetchHeaders,
  headerOf,
  SubgraphUpstream,
  type CallScope,
  type SubgraphAnswer,
  type FetcherRequestInit,
  type FetcherResponse,
  type UpstreamStats,
} from './subgraphUpstream.ts';
export { SubgraphUpstreams, type SubgraphUpstreamsConfig } from './subgraphUpstreams.ts';
export { parseInstanceUrls } from './instanceUrls.ts';
export { SubgraphInstance, SubgraphInstances, type InstanceStats } from './subgraphInstances.ts';
