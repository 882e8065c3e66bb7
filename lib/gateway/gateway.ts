import { isDeepStrictEqual } from 'node:util';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { maskInternalErrors } from '../graphql/formatError.ts';
import { firstToAnswer, startGraphQLServer, type RunningServer } from '../http/index.ts';
import type { Logger } from '../observability/index.ts';
import { isSubgraphName, SUBGRAPH_NAMES, type SubgraphName } from '../services.ts';
import { DEFAULT_PLAN_EXECUTOR, type GatewayConfig } from './config.ts';
import { cachingVerifier, createTokenVerifier, type JwtConfig, type TokenVerifier } from '../auth/index.ts';
import { FastHitPath, singleNode, type FastHitStats } from './fastHit.ts';
import { gatewayContextFactory, type GatewayContext } from './context.ts';
import { createPlayground, demoUserHeaders } from './playground/index.ts';
import { SubgraphUpstreams } from '../transport/index.ts';
import { SubgraphClient } from './subgraphClient.ts';
import { bffDataSource } from './bff.ts';
import { keepApolloTelemetryOff } from './apolloTelemetry.ts';
import { sharingInflightQueries, type InflightStats } from './inflight.ts';
import type { EntityDedupStats } from './entityDedup.ts';
import { knownRootTypeRule } from './knownRootType.ts';
import { limitValidationRules, operationLimitsPlugin, RequestAnalyses } from './limits.ts';
import { operationMustResolve } from './operationResolution.ts';
import { repeatedErrorsOnce } from './repeatedErrors.ts';
import { manifestCache, registeredOperationsOnly } from './persistedOnly.ts';
import { isPersistedOnly } from './profile.ts';
import { costModelFromSupergraph } from '../graphql/cost.ts';
import { createRateLimiter, rateLimitPlugin, schemaFieldLimits, type RateLimiter } from '../ratelimit/index.ts';
import { createRedisConnection, type RedisConnection } from '../redis/index.ts';
import {
  DEFAULT_APQ_CONFIG,
  memoryPersistedQueryStore,
  openCache,
  persistedQueryRegistration,
  persistedQuerySizeGuard,
  persistedQueryStore,
  responseCachePlugin,
  startCacheInvalidation,
  type CacheRuntime,
  type CacheStats,
} from '../cache/index.ts';
import { createEventTransport, type RunningConsumer } from '../events/index.ts';
import { createServiceMetrics } from '../observability/metrics/registry.ts';
import { createGatewayMetrics, type GatewayMetrics } from '../observability/metrics/gateway.ts';
import { countRoundTrips } from '../observability/metrics/redisRoundTrips.ts';
import { registeredOperationNames } from '../observability/metrics/operations.ts';
import { DEVELOPMENT_METRICS_ACCESS } from '../observability/metrics/access.ts';
import { operationsDir } from './paths.ts';
import { operationSpanPlugin } from '../observability/serverTracing.ts';
import type { GraphQLDataSource } from '@apollo/gateway';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { KnownOperationPath, type KnownOperationStats } from './knownOperations.ts';
import { executingPlansOurselves, newPlanExecutionStats, type PlanExecutionStats } from './ownExecutor.ts';

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
    // eslint-disable-next-line @typescript-eslint/require-await -- Apollo's plugin API types this hook as returning a Promise
    async serverWillStart() {
      return {
        async serverWillStop() {
          await upstreams.close();
        },
      };
    },
  };
}

/** What a gateway's Apollo server is built over besides its config: transport, rate limiter, caches. */
export interface GatewayParts {
  upstreams?: SubgraphUpstreams;
  rateLimiter?: RateLimiter | null;
  cache?: CacheRuntime | null;
  metrics?: GatewayMetrics | null;
  /** Counts of queries executed and answered from a run in flight (filled when the response cache is off). */
  inflight?: InflightStats;
  /** Representations asked and sent by entity fetches (repeats go out once, caches on or off). */
  representations?: EntityDedupStats;
  /** Persisted queries' own store (APQ_REDIS_URL); absent: the caches' store. */
  apqCache?: CacheRuntime | null;
  /** The operation analyses the limits and the rate limiter read; absent: made here. */
  analyses?: RequestAnalyses;
  /** The response cache's fast path, whose plugin learns the request shapes it may answer. */
  fastHit?: FastHitPath | null;
  /** Operations our plan executor ran and those it handed to Apollo's (config.executor `own`). */
  planExecution?: PlanExecutionStats;
  /** The lean path for known queries, which learns documents from the pipeline and shares its executor. */
  knownOperations?: KnownOperationPath | null;
}

/**
 * The shared gateway core: Apollo's query planner over the committed supergraph, each subgraph
 * reached through our own client at its configured URL (not the URL baked into the supergraph).
 */
export function createGatewayApollo(
  config: GatewayConfig,
  logger: Logger,
  parts: GatewayParts = {},
): ApolloServer<GatewayContext> {
  const upstreams = parts.upstreams ?? subgraphUpstreams(config, logger);
  const rateLimiter = parts.rateLimiter ?? null;
  // APQ lives in Redis whenever the caches have one, else in a bounded in-process LRU; the response
  // and entity caches only when enabled.
  const apqConfig = config.apq ?? DEFAULT_APQ_CONFIG;
  const apqCache = parts.apqCache ?? parts.cache;
  const apqTtlSeconds = apqCache?.config.apqTtlSeconds ?? 86_400;
  const apq =
    apqCache?.store.kind === 'redis'
      ? persistedQueryStore(apqCache, apqConfig.maxQueryBytes)
      : memoryPersistedQueryStore(apqConfig, apqTtlSeconds);
  const cache = parts.cache?.config.enabled ? parts.cache : null;
  const bff = bffDataSource(config.name, config.bff, cache);
  // The data sources Apollo's executor calls, for ours to call with the same request context.
  const services = new Map<string, GraphQLDataSource>();
  keepApolloTelemetryOff();
  const apolloGateway = new ApolloGateway({
    supergraphSdl: config.supergraphSdl,
    logger,
    buildService: ({ name }) => {
      if (name === bff.name) {
        services.set(name, bff.source);
        return bff.source;
      }
      if (!isSubgraphName(name)) throw new Error(`The supergraph names an unknown subgraph "${name}"`);
      const client = new SubgraphClient({
        upstream: upstreams.get(name),
        deadlines: upstreams.deadlines,
        logger,
        cache,
        representations: parts.representations,
      });
      services.set(name, client);
      return client;
    },
  });
  const gateway =
    (config.executor ?? DEFAULT_PLAN_EXECUTOR) === 'own'
      ? executingPlansOurselves(apolloGateway, {
          supergraphSdl: config.supergraphSdl,
          services,
          stats: parts.planExecution ?? newPlanExecutionStats(),
        })
      : apolloGateway;
  const { limits, operations } = config;
  // One operation analysis per request, shared by the limits and the rate limiter.
  const analyses = parts.analyses ?? new RequestAnalyses(costModelFromSupergraph(config.supergraphSdl), limits);
  const lean = parts.knownOperations ?? null;
  const sharingWithLeanPath = (served: GatewayInterface) => (lean ? lean.sharingExecutor(served) : served);
  return new ApolloServer<GatewayContext>({
    // SIGTERM and SIGINT are closeOnSignals' (lib/http/shutdown.ts), which drains before stopping Apollo.
    stopOnTerminationSignals: false,
    // Without the response cache, identical queries in flight at once share one run of their plan.
    gateway: sharingWithLeanPath(cache ? gateway : sharingInflightQueries(gateway, parts.inflight).gateway),
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      closesWithServer(upstreams),
      operationMustResolve(),
      repeatedErrorsOnce(),
      operationLimitsPlugin(analyses),
      ...(rateLimiter ? [rateLimitPlugin(rateLimiter, analyses, logger)] : []),
      ...(cache && parts.fastHit ? [parts.fastHit.plugin()] : []),
      // Before the response cache's: it learns documents where that plugin looks responses up, hits included.
      ...(lean ? [lean.plugin()] : []),
      ...(cache ? [responseCachePlugin(cache)] : []),
      ...(!isPersistedOnly(operations) ? [persistedQueryRegistration(apq)] : []),
      ...(parts.metrics ? [parts.metrics.plugin] : []),
      operationSpanPlugin(),
    ],
    validationRules: [knownRootTypeRule, ...limitValidationRules(limits)],
    parseOptions: { maxTokens: limits.maxTokens },
    // Web: automatic persisted queries, in the shared store (Redis) when the gateway has one, else in
    // a bounded in-process LRU. Mobile: the manifest only, immutable, so looked up in memory.
    persistedQueries: isPersistedOnly(operations)
      ? { cache: manifestCache(operations.manifest) }
      : { cache: apq, ttl: apqTtlSeconds },
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    introspection: !config.production,
    hideSchemaDetailsFromClientErrors: config.production,
    includeStacktraceInErrorResponses: false,
    formatError: maskInternalErrors(logger, { production: config.production }),
    logger,
  });
}

/** A running gateway; `upstreams` gives breaker, bulkhead and instance figures (for metrics and tests). */
export interface RunningGateway extends RunningServer {
  upstreams: SubgraphUpstreams;
  /** Hit, miss and error counts per cache layer; null without caches. */
  cacheStats(): CacheStats | null;
  /** Queries executed, and queries answered by an identical one in flight. */
  inflightStats(): InflightStats;
  /** Entity representations the plans asked for and those sent once repeats were removed. */
  entityDedupStats(): EntityDedupStats;
  /** Operations our plan executor ran, and those it handed to Apollo's (with why). */
  planExecutionStats(): PlanExecutionStats;
  /** Hits answered before Apollo's pipeline, and requests that ran it; null without the fast path. */
  fastHitStats(): FastHitStats | null;
  /** Known queries answered without Apollo's pipeline, and requests that ran it; null without the lean path. */
  knownOperationStats(): KnownOperationStats | null;
}

/** Verified tokens remembered for 10,000 clients; with a remote key set for a minute at most (a withdrawn key stops working). */
function gatewayTokenVerifier(config: JwtConfig): TokenVerifier {
  return cachingVerifier(createTokenVerifier(config), {
    capacity: 10_000,
    maxAgeMs: config.keySource.kind === 'jwks-url' ? 60_000 : Number.POSITIVE_INFINITY,
  });
}

/** One connection for the rate limiter and the caches when they name the same Redis (they do when both come from env). */
function redisConnections(
  config: GatewayConfig,
  logger: Logger,
): {
  rateLimit: RedisConnection | null;
  cache: RedisConnection | null;
  apq: RedisConnection | null;
  all: RedisConnection[];
} {
  const rateLimit = config.rateLimit ? createRedisConnection(config.rateLimit.redis, logger) : null;
  const shared = rateLimit && config.cache && isDeepStrictEqual(config.cache.redis, config.rateLimit?.redis);
  const cache = config.cache ? (shared ? rateLimit : createRedisConnection(config.cache.redis, logger)) : null;
  // Persisted queries in a Redis of their own, so an evicting maxmemory policy there never touches budgets or streams.
  const apq = config.apqRedis ? createRedisConnection(config.apqRedis, logger) : null;
  return {
    rateLimit,
    cache,
    apq,
    all: [...new Set([rateLimit, cache, apq].filter((c): c is RedisConnection => c !== null))],
  };
}

export async function startGateway(config: GatewayConfig, logger: Logger): Promise<RunningGateway> {
  const upstreams = subgraphUpstreams(config, logger);
  const redis = redisConnections(config, logger);
  const inflight: InflightStats = { executed: 0, shared: 0 };
  const representations: EntityDedupStats = { asked: 0, sent: 0 };
  const planExecution = newPlanExecutionStats();
  let invalidation: RunningConsumer | null = null;
  const closeAll = async () => {
    await invalidation?.stop();
    await Promise.all(redis.all.map((c) => c.close()));
  };
  try {
    // Bounded: a gateway starts (uncached, on its insurance limiter) even while Redis is down.
    for (const connection of redis.all) {
      if (!(await connection.waitUntilReady(2000)))
        logger.warn({ redis: connection.readiness() }, 'starting without Redis');
    }
    const rateLimiter =
      config.rateLimit && redis.rateLimit
        ? createRateLimiter(config.rateLimit, redis.rateLimit, config.name, schemaFieldLimits(config.supergraphSdl))
        : null;
    const cache =
      config.cache && redis.cache
        ? openCache({
            gateway: config.name,
            config: config.cache,
            connection: redis.cache,
            supergraphSdl: config.supergraphSdl,
            logger,
          })
        : null;
    const apqCache =
      redis.apq && config.cache
        ? openCache({
            gateway: config.name,
            config: config.cache,
            connection: redis.apq,
            supergraphSdl: config.supergraphSdl,
            logger,
          })
        : null;
    if (cache?.config.enabled && config.cache && redis.cache) {
      const transport = createEventTransport({ redis: redis.cache, config: config.cache.events, logger });
      invalidation = await startCacheInvalidation({
        runtime: cache,
        transport,
        group: `gateway-${config.name}`,
        logger,
      });
    }
    const metrics = createServiceMetrics(`gateway-${config.name}`);
    const gatewayMetrics = createGatewayMetrics(metrics, {
      client: config.name,
      registeredOperations: registeredOperationNames(operationsDir(config.name)),
      upstreams: () => upstreams.stats(),
      cache: () => cache?.stats ?? null,
      redisRoundTrips: countRoundTrips(redis.all.map((c) => c.client)),
    });
    upstreams.observe((call) => gatewayMetrics.recordSubgraphCall(call));
    const verifier = gatewayTokenVerifier(config.auth.jwt);
    const analyses = new RequestAnalyses(costModelFromSupergraph(config.supergraphSdl), config.limits);
    // One script for budget and entry needs both on one Redis node, the one the caches use.
    const fastRedis = cache?.config.enabled && cache.store.kind === 'redis' ? singleNode(redis.cache?.client) : null;
    const fastHit =
      config.responseCacheFastPath !== false &&
      cache?.config.responses &&
      fastRedis &&
      (!rateLimiter || redis.rateLimit === redis.cache)
        ? new FastHitPath({
            runtime: cache,
            redis: fastRedis,
            limiter: rateLimiter,
            analyses,
            verifier,
            trustedProxies: config.trustedProxies ?? null,
            persisted: isPersistedOnly(config.operations) ? 'manifest' : apqCache ? 'none' : 'apq',
            metrics: gatewayMetrics,
            logger,
            heldCopyBytes: cache.config.fastPathCopyBytes,
          })
        : null;
    const context = gatewayContextFactory({
      client: config.name,
      verifier,
      signing: config.auth.signing,
      trustedProxies: config.trustedProxies ?? null,
      ...(fastHit ? { preAdmission: fastHit.preAdmission } : {}),
    });
    // With our executor, whose plan fetches the path calls with its own request context.
    const knownOperations =
      config.knownOperationsPath !== false && (config.executor ?? DEFAULT_PLAN_EXECUTOR) === 'own'
        ? new KnownOperationPath({
            analyses,
            limiter: rateLimiter,
            cache: cache?.config.enabled ? cache : null,
            fastHit,
            verifier,
            context,
            formatError: maskInternalErrors(logger, { production: config.production }),
            manifest: isPersistedOnly(config.operations),
            metrics: gatewayMetrics,
            logger,
          })
        : null;
    const server = await startGraphQLServer({
      apollo: createGatewayApollo(config, logger, {
        upstreams,
        rateLimiter,
        cache,
        apqCache,
        metrics: gatewayMetrics,
        inflight,
        representations,
        planExecution,
        analyses,
        fastHit,
        knownOperations,
      }),
      metrics: { ...metrics, access: config.metrics ?? DEVELOPMENT_METRICS_ACCESS },
      context,
      // A hit the fast path answers costs least; a known query it cannot answer runs on the lean path.
      front: firstToAnswer([fastHit?.handler, knownOperations?.handler]),
      // Nothing in a gateway reads a request scope (subgraphs count their SQL in it).
      requestScope: false,
      logger,
      port: config.port,
      host: config.host,
      maxBodyBytes: config.maxBodyBytes,
      // Redis is reported but does not gate readiness: without it limits fall back per process and caches are skipped.
      ready: async () => {
        const report = await upstreams.readiness();
        const connection = redis.rateLimit ?? redis.cache;
        // A public endpoint: which dependency is down, never its error text (it names hosts and ports).
        const state = !connection
          ? null
          : !connection.client
            ? 'in-process'
            : connection.isReady()
              ? 'ok'
              : 'unavailable';
        return state ? { ...report, checks: { ...report.checks, redis: state } } : report;
      },
      admit: isPersistedOnly(config.operations)
        ? registeredOperationsOnly(config.operations.manifest, {
            maxTokens: config.limits.maxTokens,
            allowIntrospection: !config.production,
          })
        : persistedQuerySizeGuard((config.apq ?? DEFAULT_APQ_CONFIG).maxQueryBytes),
      pages: createPlayground({
        client: config.name,
        production: config.production,
        headers: () => demoUserHeaders(config.auth.jwt),
        logger,
      }),
    });
    const close = server.close.bind(server);
    return Object.assign(server, {
      upstreams,
      cacheStats: () => (cache ? { ...structuredClone(cache.stats), roundTrips: cache.store.roundTrips } : null),
      inflightStats: () => ({ ...inflight }),
      entityDedupStats: () => ({ ...representations }),
      planExecutionStats: () => ({ ...planExecution, fallbackReasons: { ...planExecution.fallbackReasons } }),
      fastHitStats: () => (fastHit ? { ...fastHit.stats } : null),
      knownOperationStats: () => (knownOperations ? { ...knownOperations.stats } : null),
      async close(options?: { timeoutMs?: number }) {
        await close(options);
        await closeAll();
      },
    });
  } catch (error) {
    await closeAll();
    await upstreams.close();
    throw error;
  }
}
