import { readFileSync } from 'node:fs';
import { gatewaySupergraphPath } from '../../lib/composition.ts';
import {
  startGateway,
  type GatewayConfig,
  type RunningGateway,
  type SubgraphPolicyOverrides,
} from '../../lib/gateway/index.ts';
import { silentLogger, type Logger } from '../../lib/observability/index.ts';
import type { GatewayName, SubgraphName } from '../../lib/services.ts';
import { mobileProfile } from '../../gateway-mobile/src/profile.ts';
import { webProfile } from '../../gateway-web/src/profile.ts';
import { testGatewayAuth } from './auth.ts';

export const PROFILES = { web: webProfile, mobile: mobileProfile };

/**
 * Subgraph client policy for tests that count requests or SQL statements: no retries (a retry would
 * change the counts) and timeouts far above what a busy CI machine needs. Failure tests set their own.
 */
const COUNTING_POLICIES: SubgraphPolicyOverrides = {
  default: { timeoutMs: 20_000, budgetMs: 40_000, retry: { maxAttempts: 1 } },
};

/**
 * A gateway (web unless `overrides.name` says mobile) in this process on an ephemeral port, over its
 * committed supergraph, verifying development tokens and signing with the test subgraphs' secret.
 */
export async function startTestGateway(
  subgraphUrls: Record<SubgraphName, string>,
  { logger = silentLogger(), ...overrides }: Partial<GatewayConfig> & { name?: GatewayName; logger?: Logger } = {},
): Promise<RunningGateway> {
  const profile = PROFILES[overrides.name ?? 'web'];
  const config: GatewayConfig = {
    ...profile,
    production: false,
    port: 0,
    host: '127.0.0.1',
    supergraphSdl: readFileSync(gatewaySupergraphPath(profile.name), 'utf8'),
    subgraphUrls,
    maxBodyBytes: 1024 * 1024,
    auth: testGatewayAuth(),
    subgraphPolicies: COUNTING_POLICIES,
    ...overrides,
  };
  return startGateway(config, logger);
}

export interface GraphQLResponse {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
    extensions?: Record<string, unknown>;
  };
}

/** POSTs an operation as a client would. */
export async function postGraphQL(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as GraphQLResponse['body'],
  };
}

/** The `extensions.code` of each error of a response, in order (an error without one: undefined). */
export function errorCodes(response: GraphQLResponse): unknown[] {
  return (response.body.errors ?? []).map((e) => e.extensions?.code);
}

/**
 * `query` as a document of its own for request `index` (a trailing comment): a gateway runs identical
 * queries in flight at once only once (lib/gateway/inflight.ts), so a test that counts what each
 * request sends downstream makes every request distinct.
 */
export function distinctDocument(query: string, index: number): string {
  return `${query}\n# request ${index}`;
}
