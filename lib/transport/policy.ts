import { z } from 'zod';
import { SUBGRAPH_NAMES, type SubgraphName } from '../services.ts';

const ms = () => z.number().int().positive();

/**
 * How the gateway treats one subgraph when it is slow or failing. Every knob has a default that
 * suits a laptop and a small cluster alike; strict objects so a misspelt key fails at start-up
 * instead of being silently ignored.
 */
export const subgraphPolicySchema = z.strictObject({
  /** One HTTP attempt, headers and body included. */
  timeoutMs: ms().default(1500),
  /**
   * All the time one client request may spend on this subgraph (queueing, attempts, backoff),
   * counted from the request's first subgraph fetch, so retries never stretch a request past it.
   */
  budgetMs: ms().default(3000),
  /** Queries only: a mutation is sent once, whatever happens. */
  retry: z
    .strictObject({
      maxAttempts: z.number().int().min(1).max(10).default(3),
      baseDelayMs: z.number().int().min(0).default(25),
      maxDelayMs: z.number().int().min(0).default(250),
    })
    .prefault({}),
  breaker: z
    .strictObject({
      /** Failed share of calls in the rolling window that opens the circuit. */
      errorThresholdPercentage: z.number().min(1).max(100).default(50),
      /** Calls the window must hold before the percentage counts, so one early failure cannot open it. */
      volumeThreshold: z.number().int().min(0).default(5),
      rollingWindowMs: ms().default(10_000),
      /** Open for this long, then one probe call decides between closed and open again. */
      resetTimeoutMs: ms().default(5000),
    })
    .prefault({}),
  bulkhead: z
    .strictObject({
      maxConcurrent: z.number().int().positive().default(64),
      /** Calls waiting for a slot; one more is refused at once rather than left waiting. */
      maxQueue: z.number().int().min(0).default(16),
    })
    .prefault({}),
  pool: z
    .strictObject({
      /** Sockets per instance; defaults to the bulkhead's cap, since more could never be used. */
      connections: z.number().int().positive().optional(),
      keepAliveTimeoutMs: ms().default(30_000),
    })
    .prefault({}),
  health: z
    .strictObject({
      intervalMs: ms().default(5000),
      timeoutMs: ms().default(1000),
      /** Consecutive failed checks before an instance stops receiving requests. */
      unhealthyThreshold: z.number().int().positive().default(2),
      /** Consecutive passed checks before it receives them again. */
      healthyThreshold: z.number().int().positive().default(1),
    })
    .prefault({}),
  ejection: z
    .strictObject({
      /** Consecutive failed requests (transport, timeout, 5xx, garbage) that eject an instance... */
      consecutiveFailures: z.number().int().positive().default(3),
      /** ...for this long; the last instance still available is never ejected. */
      durationMs: ms().default(10_000),
    })
    .prefault({}),
});

export type SubgraphPolicy = z.output<typeof subgraphPolicySchema>;

/** What config may override: any subset, at any depth. */
export type SubgraphPolicyOverride = z.input<typeof subgraphPolicySchema>;

/** `default` applies to every subgraph, a subgraph's own entry on top of it. */
export type SubgraphPolicyOverrides = { default?: SubgraphPolicyOverride } & {
  [K in SubgraphName]?: SubgraphPolicyOverride;
};

export const DEFAULT_SUBGRAPH_POLICY: SubgraphPolicy = subgraphPolicySchema.parse({});

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepMerge(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return merged;
}

/** The effective policy of one subgraph: defaults, then `default`, then its own override. */
export function resolvePolicy(name: SubgraphName, overrides: SubgraphPolicyOverrides = {}): SubgraphPolicy {
  const merged = deepMerge(deepMerge({}, overrides.default ?? {}), overrides[name] ?? {});
  return subgraphPolicySchema.parse(merged);
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Validates one JSON override, naming the variable it came from when it is wrong. */
function parseOverride(variable: string, raw: string): SubgraphPolicyOverride {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Error(`${variable} is not valid JSON`);
  }
  const checked = subgraphPolicySchema.safeParse(value);
  if (!checked.success) throw new Error(`${variable}: ${describeIssues(checked.error)}`);
  // The raw value, not the parsed one: defaults must not mask what a broader override set.
  return value as SubgraphPolicyOverride;
}

/**
 * Policy overrides from env: `SUBGRAPH_POLICY` (JSON, every subgraph), `<NAME>_POLICY` (JSON, one
 * subgraph) and the common shortcut `<NAME>_TIMEOUT_MS`, later ones winning.
 */
export function subgraphPoliciesFromEnv(env: NodeJS.ProcessEnv): SubgraphPolicyOverrides {
  const overrides: SubgraphPolicyOverrides = {};
  if (env.SUBGRAPH_POLICY) overrides.default = parseOverride('SUBGRAPH_POLICY', env.SUBGRAPH_POLICY);
  for (const name of SUBGRAPH_NAMES) {
    const prefix = name.toUpperCase();
    let own: Record<string, unknown> = {};
    const json = env[`${prefix}_POLICY`];
    if (json) own = { ...parseOverride(`${prefix}_POLICY`, json) };
    const timeout = env[`${prefix}_TIMEOUT_MS`];
    if (timeout !== undefined && timeout !== '') {
      const parsed = z.coerce.number().int().positive().safeParse(timeout);
      if (!parsed.success) throw new Error(`${prefix}_TIMEOUT_MS must be a positive integer (milliseconds)`);
      own.timeoutMs = parsed.data;
    }
    if (Object.keys(own).length) overrides[name] = own;
  }
  return overrides;
}
