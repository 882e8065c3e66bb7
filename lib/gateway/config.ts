import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { gatewayAuthConfigFromEnv, type GatewayAuthConfig } from '../auth/index.ts';
import { gatewaySupergraphPath } from '../composition.ts';
import { GATEWAYS, portVariable, SUBGRAPH_NAMES, SUBGRAPHS, urlVariable, type SubgraphName } from '../services.ts';
import type { GatewayProfile } from './profile.ts';
import type { PlanExecutorKind } from './ownExecutor.ts';
import { parseTrustedProxies, type TrustedProxies } from './clientIp.ts';
import { DEFAULT_MAX_EXPANDED_FIELDS } from './limits.ts';
import { parseInstanceUrls } from '../transport/index.ts';
import { subgraphPoliciesFromEnv, type SubgraphPolicyOverrides } from '../transport/index.ts';
import { apqConfigFromEnv, cacheConfigFromEnv, type ApqConfig, type CacheConfig } from '../cache/index.ts';
import { rateLimitConfigFromEnv, type RateLimitConfig } from '../ratelimit/index.ts';
import { redisConfigFromEnv, type RedisConfig } from '../redis/index.ts';
import { metricsAccessFromEnv, type MetricsAccess } from '../observability/metrics/access.ts';

export interface GatewayConfig extends GatewayProfile {
  /** NODE_ENV=production: introspection and field suggestions off, secrets required. */
  production: boolean;
  port: number;
  host: string;
  supergraphSdl: string;
  subgraphUrls: Record<SubgraphName, string>;
  /** Every instance of a subgraph (`<NAME>_URLS`); a subgraph missing here has the one in `subgraphUrls`. */
  subgraphInstances?: Partial<Record<SubgraphName, string[]>>;
  /** Timeouts, retries, breaker, bulkhead, pools and health checks (defaults in lib/transport/policy.ts). */
  subgraphPolicies?: SubgraphPolicyOverrides;
  maxBodyBytes: number;
  /** Bearer-token verification and the identity-signing secret (JWT_*, GATEWAY_SIGNING_SECRET...). */
  auth: GatewayAuthConfig;
  /** Per-user rate limits and their store (REDIS_*, RATE_LIMIT_*); absent: no rate limits (embedding, most tests). */
  rateLimit?: RateLimitConfig | null;
  /** Response and entity caches, shared APQ (REDIS_*, CACHE_*); absent: no caches, APQ in this process's memory (embedding, most tests). */
  cache?: CacheConfig | null;
  /** `TRUSTED_PROXIES`: the proxies whose forwarding headers name the client (anonymous budgets); absent: the socket's peer. */
  trustedProxies?: TrustedProxies | null;
  /** Automatic persisted queries' size cap and in-process bound (APQ_*); absent: DEFAULT_APQ_CONFIG. */
  apq?: ApqConfig;
  /** Who may read `/metrics` (METRICS_PORT, METRICS_TOKEN); absent: open on the public port (development). */
  metrics?: MetricsAccess;
  /** `APQ_REDIS_URL`: a Redis of their own for persisted queries (an evicting one); absent: the caches' Redis. */
  apqRedis?: RedisConfig | null;
  /** Answer response-cache hits before Apollo's pipeline (lib/gateway/fastHit.ts); on unless false (tests compare both paths). */
  responseCacheFastPath?: boolean;
  /**
   * Known queries run by our executor without Apollo's request pipeline, caches on or off
   * (lib/gateway/knownOperations.ts); false sends every request through it. On by default.
   */
  knownOperationsPath?: boolean;
  /** `GATEWAY_EXECUTOR`: who runs query plans, Apollo's executor or ours (lib/gateway/planExecutor.ts); absent: DEFAULT_PLAN_EXECUTOR. */
  executor?: PlanExecutorKind;
}

/**
 * Ours: on a quiet machine (bench of 02:37, 7 December) it answered every checked scenario as stock
 * @apollo/gateway does, at 0.44-0.65x its gateway CPU per request; `apollo` stays one switch away.
 */
export const DEFAULT_PLAN_EXECUTOR: PlanExecutorKind = 'own';

const limit = z.coerce.number().int().positive().optional();

/** Reads a gateway's configuration from env once, failing fast with the variable's name. */
export function gatewayConfigFromEnv(profile: GatewayProfile, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const { name } = profile;
  const shape = z.object({
    NODE_ENV: z.string().default('development'),
    MAX_DEPTH: limit,
    MAX_ALIASES: limit,
    MAX_DIRECTIVES: limit,
    MAX_TOKENS: limit,
    MAX_COST: limit,
    MAX_EXPANDED_FIELDS: limit,
    TRUSTED_PROXIES: z.string().optional(),
    GATEWAY_EXECUTOR: z.enum(['apollo', 'own']).default(DEFAULT_PLAN_EXECUTOR),
    [portVariable(`gateway-${name}`)]: z.coerce.number().int().min(0).max(65535).default(GATEWAYS[name].port),
    HOST: z.string().default('127.0.0.1'),
    SUPERGRAPH_PATH: z.string().default(gatewaySupergraphPath(name)),
    MAX_BODY_BYTES: z.coerce
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    ...Object.fromEntries(
      SUBGRAPH_NAMES.map((s) => [
        urlVariable(s),
        z.string().url().default(`http://127.0.0.1:${SUBGRAPHS[s].port}/graphql`),
      ]),
    ),
  });
  const parsed = shape.safeParse(env);
  if (!parsed.success) {
    throw new Error(
      `Invalid gateway-${name} configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const values = parsed.data as Record<string, string | number | undefined>;
  const override = (key: string, fallback: number) => (values[key] === undefined ? fallback : Number(values[key]));
  return {
    ...profile,
    production: values.NODE_ENV === 'production',
    limits: {
      maxDepth: override('MAX_DEPTH', profile.limits.maxDepth),
      maxAliases: override('MAX_ALIASES', profile.limits.maxAliases),
      maxDirectives: override('MAX_DIRECTIVES', profile.limits.maxDirectives),
      maxTokens: override('MAX_TOKENS', profile.limits.maxTokens),
      maxCost: override('MAX_COST', profile.limits.maxCost),
      maxExpandedFields: override(
        'MAX_EXPANDED_FIELDS',
        profile.limits.maxExpandedFields ?? DEFAULT_MAX_EXPANDED_FIELDS,
      ),
    },
    trustedProxies: trustedProxiesFromEnv(name, values.TRUSTED_PROXIES),
    executor: values.GATEWAY_EXECUTOR === 'apollo' ? 'apollo' : 'own',
    port: Number(values[portVariable(`gateway-${name}`)]),
    host: String(values.HOST),
    supergraphSdl: readFileSync(String(values.SUPERGRAPH_PATH), 'utf8'),
    ...subgraphEndpointsFromEnv(
      name,
      env,
      Object.fromEntries(SUBGRAPH_NAMES.map((s) => [s, String(values[urlVariable(s)])])) as Record<
        SubgraphName,
        string
      >,
    ),
    maxBodyBytes: Number(values.MAX_BODY_BYTES),
    auth: gatewayAuthConfigFromEnv(env),
    rateLimit: rateLimitConfigFromEnv(
      { budgets: profile.rateLimitBudgets, failClosedFields: profile.rateLimitFailClosedFields },
      redisConfigFromEnv(env),
      env,
    ),
    cache: cacheConfigFromEnv(redisConfigFromEnv(env), env),
    apq: apqConfigFromEnv(env),
    metrics: metricsAccessFromEnv(env),
    apqRedis: env.APQ_REDIS_URL
      ? redisConfigFromEnv({ ...env, REDIS_URL: env.APQ_REDIS_URL, REDIS_CLUSTER_NODES: undefined })
      : null,
  };
}

function trustedProxiesFromEnv(gateway: string, value: unknown): TrustedProxies | null {
  try {
    return parseTrustedProxies(typeof value === 'string' ? value : undefined);
  } catch (error) {
    throw new Error(
      `Invalid gateway-${gateway} configuration: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/**
 * Where each subgraph lives and how it is treated when failing: `<NAME>_URLS` (comma-separated
 * instances) wins over `<NAME>_URL` (one instance); policies from `SUBGRAPH_POLICY`,
 * `<NAME>_POLICY` and `<NAME>_TIMEOUT_MS`.
 */
function subgraphEndpointsFromEnv(
  gateway: string,
  env: NodeJS.ProcessEnv,
  singleUrls: Record<SubgraphName, string>,
): Pick<GatewayConfig, 'subgraphUrls' | 'subgraphInstances' | 'subgraphPolicies'> {
  const fail = (message: string) => new Error(`Invalid gateway-${gateway} configuration: ${message}`);
  const subgraphUrls = { ...singleUrls };
  const subgraphInstances: Partial<Record<SubgraphName, string[]>> = {};
  for (const name of SUBGRAPH_NAMES) {
    const variable = `${urlVariable(name)}S`;
    const list = env[variable];
    if (list === undefined || list.trim() === '') continue;
    let urls: string[];
    try {
      urls = parseInstanceUrls(list);
    } catch (error) {
      throw fail(`${variable} ${error instanceof Error ? error.message : String(error)}`);
    }
    subgraphInstances[name] = urls;
    subgraphUrls[name] = urls[0]!;
  }
  try {
    return { subgraphUrls, subgraphInstances, subgraphPolicies: subgraphPoliciesFromEnv(env) };
  } catch (error) {
    throw fail(error instanceof Error ? error.message : String(error));
  }
}
