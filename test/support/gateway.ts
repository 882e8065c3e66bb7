import { readFileSync } from 'node:fs';
import { SUPERGRAPH_PATH } from '../../lib/composition.ts';
import { startGateway, type GatewayConfig } from '../../lib/gateway/index.ts';
import type { RunningServer } from '../../lib/http/index.ts';
import { silentLogger } from '../../lib/observability/index.ts';
import type { GatewayName, SubgraphName } from '../../lib/services.ts';

/** A gateway in this process on an ephemeral port, over the committed supergraph. */
export async function startTestGateway(
  subgraphUrls: Record<SubgraphName, string>,
  overrides: Partial<GatewayConfig> & { name?: GatewayName } = {},
): Promise<RunningServer> {
  const config: GatewayConfig = {
    name: 'web',
    port: 0,
    host: '127.0.0.1',
    supergraphSdl: readFileSync(SUPERGRAPH_PATH, 'utf8'),
    subgraphUrls,
    maxBodyBytes: 1024 * 1024,
    ...overrides,
  };
  return startGateway(config, silentLogger());
}

export interface GraphQLResponse {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
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
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResponse['body'] };
}
