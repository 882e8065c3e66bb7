import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { maskInternalErrors } from '../graphql/formatError.ts';
import { startGraphQLServer, type ReadinessReport, type RunningServer } from '../http/index.ts';
import type { Logger } from '../observability/index.ts';
import { isSubgraphName, type SubgraphName } from '../services.ts';
import type { GatewayConfig } from './config.ts';
import { gatewayContext, type GatewayContext } from './context.ts';
import { SubgraphClient } from './subgraphClient.ts';

const HEALTH_TIMEOUT_MS = 1000;

/** A subgraph is reachable when its `/health` answers 200 in time. */
async function probe(graphqlUrl: string): Promise<string> {
  try {
    const response = await fetch(new URL('/health', graphqlUrl), { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    return response.ok ? 'ok' : `unhealthy (HTTP ${response.status})`;
  } catch {
    return 'unreachable';
  }
}

export async function subgraphReadiness(urls: Record<SubgraphName, string>): Promise<ReadinessReport> {
  const entries = await Promise.all(Object.entries(urls).map(async ([name, url]) => [name, await probe(url)] as const));
  return { ready: entries.every(([, status]) => status === 'ok'), checks: Object.fromEntries(entries) };
}

/**
 * The shared gateway core: Apollo's query planner over the committed supergraph, each subgraph
 * reached through our own client at its configured URL (not the URL baked into the supergraph).
 */
export function createGatewayApollo(config: GatewayConfig, logger: Logger): ApolloServer<GatewayContext> {
  const gateway = new ApolloGateway({
    supergraphSdl: config.supergraphSdl,
    logger,
    buildService: ({ name }) => {
      if (!isSubgraphName(name)) throw new Error(`The supergraph names an unknown subgraph "${name}"`);
      return new SubgraphClient({ url: config.subgraphUrls[name] });
    },
  });
  return new ApolloServer<GatewayContext>({
    gateway,
    plugins: [ApolloServerPluginLandingPageDisabled()],
    includeStacktraceInErrorResponses: false,
    formatError: maskInternalErrors(logger),
    logger,
  });
}

export async function startGateway(config: GatewayConfig, logger: Logger): Promise<RunningServer> {
  return startGraphQLServer({
    apollo: createGatewayApollo(config, logger),
    context: gatewayContext,
    logger,
    port: config.port,
    host: config.host,
    maxBodyBytes: config.maxBodyBytes,
    ready: () => subgraphReadiness(config.subgraphUrls),
  });
}
