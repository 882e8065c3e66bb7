import { Cluster, Redis } from 'ioredis';
import type { Logger } from '../observability/index.ts';
import type { RedisConfig } from './config.ts';

/** One Redis connection per process (a single node or a cluster), or none for the in-process store. */
export interface RedisConnection {
  config: RedisConfig;
  /** null: state lives in this process (no REDIS_URL / REDIS_CLUSTER_NODES). */
  client: Redis | Cluster | null;
  keyPrefix: string;
  /** True when commands can be sent now; with the offline queue off, anything else fails fast. */
  isReady(): boolean;
  /** Waits (bounded) for the first connection, so a freshly started process does not begin on its fallbacks. */
  waitUntilReady(timeoutMs: number): Promise<boolean>;
  /** For `/ready`: 'ok', 'in-process', or why Redis cannot be used right now. */
  readiness(): string;
  close(): Promise<void>;
}

/** Reconnect quickly at first, then at most every second, forever: Redis coming back needs no restart. */
const reconnectDelay = (attempt: number) => Math.min(attempt * 100, 1000);

function connect(config: Exclude<RedisConfig, { kind: 'memory' }>): Redis | Cluster {
  // Without these two a dead or stalled Redis queues commands and hangs every request behind it.
  const common = {
    enableOfflineQueue: false,
    commandTimeout: config.commandTimeoutMs,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
  };
  if (config.kind === 'single') return new Redis(config.url, { ...common, retryStrategy: reconnectDelay });
  return new Cluster(config.nodes, {
    enableOfflineQueue: false,
    clusterRetryStrategy: reconnectDelay,
    redisOptions: common,
  });
}

export function createRedisConnection(config: RedisConfig, logger: Logger): RedisConnection {
  if (config.kind === 'memory') {
    return {
      config,
      client: null,
      keyPrefix: config.keyPrefix,
      isReady: () => true,
      // eslint-disable-next-line @typescript-eslint/require-await -- the in-process store is ready at once; the Redis one waits
      waitUntilReady: async () => true,
      readiness: () => 'in-process',
      close: async () => {},
    };
  }
  const client = connect(config);
  let lastError = '';
  client.on('error', (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    // ioredis repeats the same error on every reconnect attempt: log each change, not each attempt.
    if (message !== lastError) logger.warn({ err: error, redis: config.kind }, 'redis unavailable');
    lastError = message;
  });
  client.on('ready', () => {
    if (lastError) logger.info({ redis: config.kind }, 'redis reconnected');
    lastError = '';
  });
  const isReady = () => client.status === 'ready';
  return {
    config,
    client,
    keyPrefix: config.keyPrefix,
    isReady,
    async waitUntilReady(timeoutMs) {
      if (isReady()) return true;
      return new Promise<boolean>((resolve) => {
        const done = (ready: boolean) => {
          clearTimeout(timer);
          client.off('ready', onReady);
          resolve(ready);
        };
        const onReady = () => done(true);
        const timer = setTimeout(() => done(isReady()), timeoutMs);
        client.on('ready', onReady);
      });
    },
    readiness: () => (isReady() ? 'ok' : `unavailable (${client.status}${lastError ? `: ${lastError}` : ''})`),
    // eslint-disable-next-line @typescript-eslint/require-await -- the connection interface's close is asynchronous; disconnect is not
    async close() {
      client.disconnect();
    },
  };
}
