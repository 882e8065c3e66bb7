import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { maskInternalErrors } from '../graphql/formatError.ts';
import { startGraphQLServer, type RunningServer } from '../http/index.ts';
import type { Logger } from '../observability/index.ts';
import { isSubgraphName, SUBGRAPH_NAMES, type SubgraphName } from '../services.ts';
import type { GatewayConfig } from './config.ts';
import { createTokenVerifier } from '../auth/index.ts';
import { gatewayContextFactory, type GatewayContext } from './context.ts';
import { createPlayground, demoUserHeaders } from './playground/index.ts';
import { SubgraphUpstreams } from './resilience/index.ts';
import { SubgraphClient } from './subgraphClient.ts';
import { bffDataSource } from './bff.ts';
import { knownRootTypeRule } from './knownRootType.ts';
import { costLimitPlugin, limitValidationRules } from './limits.ts';
import { operationMustResolve } from './operationResolution.ts';
import { manifestCache, registeredOperationsOnly } from './persistedOnly.ts';
import { isPersistedOnly } from './profile.ts';
import { costModelFromSupergraph } from '../graphql/cost.ts';
import { createRateLimiter, rateLimitPlugin, schemaFieldLimits, type RateLimiter } from '../ratelimit/index.ts';
import { createRedisConnection } from '../redis/index.ts';

/** Each subgraph's transport (instances, health checks, breaker, bulkhead, pools) from config. */
export function subgraphUpstreams(config: GatewayConfig, logger: Logger): SubgraphUpstreams {
  const instances = Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => [name, config.subgraphInstances?.[name] ?? [config.subgraphUrls[name]]]),
  ) as Record<SubgraphName, string[]>;
  return new SubgraphUpstreams({ instances, policies: config.subgraphPolicies }, logger);
}

/** Stops the health checks and closes the keep-alive pools with the server. */
function closesWithServer(upstreams: SubgraphUpstreams): ApolloServerPlugin<GatewayContext> {
  return {
    async serverWillStart() {
      return {
        async serverWillStop() {
          await upstreams.close();
        },
      };
    },
  };
}

/**
 * The shared gateway core: Apollo's query planner over the committed supergraph, each subgraph
 * reached through our own client at its configured URL (not the URL baked into the supergraph).
 */
export function createGatewayApollo(
  config: GatewayConfig,
  logger: Logger,
  upstreams: SubgraphUpstreams = subgraphUpstreams(config, logger),
  rateLimiter: RateLimiter | null = null,
): ApolloServer<GatewayContext> {
  const bff = bffDataSource(config.name, config.bff);
  const gateway = new ApolloGateway({
    supergraphSdl: config.supergraphSdl,
    logger,
    buildService: ({ name }) => {
      if (name === bff.name) return bff.source;
      if (!isSubgraphName(name)) throw new Error(`The supergraph names an unknown subgraph "${name}"`);
      return new SubgraphClient({ upstream: upstreams.get(name), deadlines: upstreams.deadlines, logger });
    },
  });
  const { limits, operations } = config;
  const costModel = costModelFromSupergraph(config.supergraphSdl);
  return new ApolloServer<GatewayContext>({
    gateway,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      closesWithServer(upstreams),
      operationMustResolve(),
      costLimitPlugin(costModel, limits.maxCost),
      ...(rateLimiter ? [rateLimitPlugin(rateLimiter, costModel, limits.maxCost, logger)] : []),
    ],
    validationRules: [knownRootTypeRule, ...limitValidationRules(limits)],
    parseOptions: { maxTokens: limits.maxTokens },
    // Web: automatic persisted queries in Apollo's default in-memory store. Mobile: the manifest only.
    persistedQueries: isPersistedOnly(operations) ? { cache: manifestCache(operations.manifest) } : {},
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    introspection: !config.production,
    hideSchemaDetailsFromClientErrors: config.production,
    includeStacktraceInErrorResponses: false,
    formatError: maskInternalErrors(logger),
    logger,
  });
}

/** A running gateway; `upstreams` gives breaker, bulkhead and instance figures (for metrics and tests). */
export interface RunningGateway extends RunningServer {
  upstreams: SubgraphUpstreams;
}

export async function startGateway(config: GatewayConfig, logger: Logger): Promise<RunningGateway> {
  const upstreams = subgraphUpstreams(config, logger);
  const redis = config.rateLimit ? createRedisConnection(config.rateLimit.redis, logger) : null;
  try {
    // Bounded: a gateway starts (on its insurance limiter) even while Redis is down.
    if (redis && !(await redis.waitUntilReady(2000))) logger.warn({ redis: redis.readiness() }, 'starting without Redis');
    const rateLimiter = config.rateLimit && redis ? createRateLimiter(config.rateLimit, redis, config.name, schemaFieldLimits(config.supergraphSdl)) : null;
    const server = await startGraphQLServer({
      apollo: createGatewayApollo(config, logger, upstreams, rateLimiter),
      context: gatewayContextFactory({ client: config.name, verifier: createTokenVerifier(config.auth.jwt), signing: config.auth.signing }),
      logger,
      port: config.port,
      host: config.host,
      maxBodyBytes: config.maxBodyBytes,
      // Redis is reported but does not gate readiness: without it limits fall back per process.
      ready: async () => {
        const report = await upstreams.readiness();
        return redis ? { ...report, checks: { ...report.checks, redis: redis.readiness() } } : report;
      },
      admit: isPersistedOnly(config.operations) ? registeredOperationsOnly(config.operations.manifest, { maxTokens: config.limits.maxTokens, allowIntrospection: !config.production }) : undefined,
      pages: createPlayground({ client: config.name, production: config.production, headers: () => demoUserHeaders(config.auth.jwt), logger }),
    });
    const close = server.close.bind(server);
    return Object.assign(server, {
      upstreams,
      async close() {
        await close();
        await redis?.close();
      },
    });
  } catch (error) {
    await redis?.close();
    await upstreams.close();
    throw error;
  }
}
