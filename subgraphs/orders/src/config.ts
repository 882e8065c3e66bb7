import { z } from 'zod';
import { identitySigningConfigFromEnv, type IdentitySigningConfig } from '../../../lib/auth/index.ts';
import { resolvePolicy, subgraphPoliciesFromEnv, type SubgraphPolicy } from '../../../lib/transport/index.ts';
import { serviceUrlsFromEnv } from '../../../lib/serviceClient/index.ts';
import { STEP_NAMES } from './eventStore/events.ts';

export const PROVIDERS = ['inventory', 'payments', 'products'] as const;
export type Provider = (typeof PROVIDERS)[number];

export interface SagaConfig {
  /** How long a checkout may take before it compensates, from the order's placement. */
  deadlineMs: number;
  /** How often the recovery worker looks for sagas nobody drives. */
  recoveryIntervalMs: number;
  /** How long a runner's claim on a saga lasts without renewal (every append renews it). */
  leaseMs: number;
  /** Backoff between a step's attempts: full jitter, from base doubling up to max. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Sagas one runner drives at once; more wait their turn (their deadline still runs). */
  maxConcurrentSagas: number;
  /**
   * Chaos/test knob (`ORDERS_FAULT_KILL_AT`, off by default): the saga boundary at which this process
   * SIGKILLs itself, to prove recovery at exactly that point. `before:<STEP>`: the step's start is
   * recorded, its call not sent; `after:<STEP>`: the provider answered ok, the answer not recorded.
   */
  faultKillAt: SagaBoundary | null;
}

export const SAGA_BOUNDARIES = STEP_NAMES.flatMap((step) => [`before:${step}`, `after:${step}`] as const);
export type SagaBoundary = (typeof SAGA_BOUNDARIES)[number];

export interface OrdersConfig {
  /** Connections in orders' database pool (`ORDERS_DATABASE_POOL_SIZE`): requests and saga steps share it. */
  databasePoolSize: number;
  saga: SagaConfig;
  providers: Record<Provider, { urls: string[]; policy: SubgraphPolicy }>;
  signing: IdentitySigningConfig;
}

const ms = (fallback: number, min = 1) => z.coerce.number().int().min(min).default(fallback);

/**
 * Orders' pool: each placement and each saga step holds a connection for one short transaction, so
 * under a burst of checkouts the pool, not the CPU, is what requests queue on. Postgres' own
 * max_connections bounds the sum over replicas and services.
 */
export const DEFAULT_ORDERS_POOL_SIZE = 20;
const poolSize = z.coerce.number().int().min(1).max(500).default(DEFAULT_ORDERS_POOL_SIZE);

const shape = z.object({
  ORDERS_DATABASE_POOL_SIZE: poolSize,
  CHECKOUT_SAGA_DEADLINE_MS: ms(30_000, 100),
  CHECKOUT_RECOVERY_INTERVAL_MS: ms(5_000, 10),
  CHECKOUT_LEASE_MS: ms(15_000, 100),
  CHECKOUT_RETRY_BASE_MS: ms(100),
  CHECKOUT_RETRY_MAX_MS: ms(2_000),
  CHECKOUT_MAX_CONCURRENT_SAGAS: ms(64),
  ORDERS_FAULT_KILL_AT: z.enum(SAGA_BOUNDARIES).optional(),
});

/**
 * The orders service's configuration, read once from env and validated (zod): the checkout saga's
 * timing, and where and how it reaches inventory, payments and products (`<NAME>_URLS` or
 * `<NAME>_URL`, `<NAME>_POLICY`, `<NAME>_TIMEOUT_MS`, as the gateways read them), and the secret
 * it signs its `service` identity with. A bad value stops the start naming the variable.
 */
const fail = (message: string) => new Error(`Invalid orders configuration: ${message}`);
const issues = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');

/**
 * `ORDERS_DATABASE_POOL_SIZE` alone: the pool is opened (and migrations run) before the rest of the
 * configuration is read, by the subgraph bootstrap (`SubgraphModule.poolSize`).
 */
export function ordersPoolSizeFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const parsed = z.object({ ORDERS_DATABASE_POOL_SIZE: poolSize }).safeParse(env);
  if (!parsed.success) throw fail(issues(parsed.error));
  return parsed.data.ORDERS_DATABASE_POOL_SIZE;
}

export function ordersConfigFromEnv(env: NodeJS.ProcessEnv = process.env): OrdersConfig {
  const parsed = shape.safeParse(env);
  if (!parsed.success) throw fail(issues(parsed.error));
  const c = parsed.data;
  if (c.CHECKOUT_RETRY_MAX_MS < c.CHECKOUT_RETRY_BASE_MS)
    throw fail('CHECKOUT_RETRY_MAX_MS must be at least CHECKOUT_RETRY_BASE_MS');
  let providers: OrdersConfig['providers'];
  try {
    const policies = subgraphPoliciesFromEnv(env);
    providers = Object.fromEntries(
      PROVIDERS.map((name) => [name, { urls: serviceUrlsFromEnv(name, env), policy: resolvePolicy(name, policies) }]),
    ) as OrdersConfig['providers'];
  } catch (error) {
    throw fail(error instanceof Error ? error.message : String(error));
  }
  return {
    databasePoolSize: c.ORDERS_DATABASE_POOL_SIZE,
    saga: {
      deadlineMs: c.CHECKOUT_SAGA_DEADLINE_MS,
      recoveryIntervalMs: c.CHECKOUT_RECOVERY_INTERVAL_MS,
      leaseMs: c.CHECKOUT_LEASE_MS,
      retryBaseMs: c.CHECKOUT_RETRY_BASE_MS,
      retryMaxMs: c.CHECKOUT_RETRY_MAX_MS,
      maxConcurrentSagas: c.CHECKOUT_MAX_CONCURRENT_SAGAS,
      faultKillAt: c.ORDERS_FAULT_KILL_AT ?? null,
    },
    providers,
    signing: identitySigningConfigFromEnv(env),
  };
}
