import { z } from 'zod';

/**
 * Where shared state lives: one Redis (`REDIS_URL`), a Redis Cluster (`REDIS_CLUSTER_NODES`), or,
 * with neither, this process's memory (single-process development only: replicas would not share it).
 */
export type RedisConfig =
  | { kind: 'memory'; keyPrefix: string }
  | { kind: 'single'; url: string; keyPrefix: string; commandTimeoutMs: number }
  | { kind: 'cluster'; nodes: Array<{ host: string; port: number }>; keyPrefix: string; commandTimeoutMs: number };

export function isRemoteRedis(config: RedisConfig): config is Exclude<RedisConfig, { kind: 'memory' }> {
  return config.kind !== 'memory';
}

const node = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port');

const shape = z.object({
  REDIS_URL: z.string().url().optional(),
  REDIS_CLUSTER_NODES: z.string().optional(),
  // A brace would start a hash tag of its own and move keys off the slot their `{user:..}` tag picks.
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[^{}\s]*$/, 'must not contain braces or spaces')
    .default('bff:'),
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().positive().default(500),
});

/** Reads the Redis settings once, failing fast with the variable's name. */
export function redisConfigFromEnv(env: NodeJS.ProcessEnv = process.env): RedisConfig {
  const parsed = shape.safeParse(env);
  if (!parsed.success) {
    throw new Error(
      `Invalid Redis configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const {
    REDIS_URL,
    REDIS_CLUSTER_NODES,
    REDIS_KEY_PREFIX: keyPrefix,
    REDIS_COMMAND_TIMEOUT_MS: commandTimeoutMs,
  } = parsed.data;
  const clusterList = REDIS_CLUSTER_NODES?.trim();
  if (clusterList) {
    const entries = clusterList
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = entries.find((e) => !node.safeParse(e).success);
    if (bad !== undefined)
      throw new Error(`Invalid Redis configuration: REDIS_CLUSTER_NODES: "${bad}" is not host:port`);
    const nodes = entries.map((e) => {
      const at = e.lastIndexOf(':');
      return { host: e.slice(0, at), port: Number(e.slice(at + 1)) };
    });
    return { kind: 'cluster', nodes, keyPrefix, commandTimeoutMs };
  }
  if (REDIS_URL) return { kind: 'single', url: REDIS_URL, keyPrefix, commandTimeoutMs };
  return { kind: 'memory', keyPrefix };
}
