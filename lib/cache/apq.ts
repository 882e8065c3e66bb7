import type { ApolloServerPlugin } from '@apollo/server';
import { z } from 'zod';
import type { IncomingGraphQLRequest, RequestGuard } from '../http/index.ts';
import { cacheKeys } from './keys.ts';
import type { CacheRuntime } from './runtime.ts';

/** How automatic persisted queries are bounded (APQ_*). */
export interface ApqConfig {
  /** Longest query text a client may register, in UTF-8 bytes, comments and whitespace counted. */
  maxQueryBytes: number;
  /** What the in-process store (no Redis) may hold, in bytes; the least recently used go first. */
  memoryMaxBytes: number;
}

export const DEFAULT_APQ_CONFIG: ApqConfig = { maxQueryBytes: 20 * 1024, memoryMaxBytes: 16 * 1024 * 1024 };

const apqShape = z.object({
  APQ_MAX_QUERY_BYTES: z.coerce
    .number()
    .int()
    .min(256)
    .max(1024 * 1024)
    .default(DEFAULT_APQ_CONFIG.maxQueryBytes),
  APQ_MEMORY_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .default(DEFAULT_APQ_CONFIG.memoryMaxBytes),
});

/** Read once per process; a bad value stops the start with the variable's name. */
export function apqConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ApqConfig {
  const parsed = apqShape.safeParse(env);
  if (!parsed.success) {
    throw new Error(
      `Invalid persisted-query configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return { maxQueryBytes: parsed.data.APQ_MAX_QUERY_BYTES, memoryMaxBytes: parsed.data.APQ_MEMORY_MAX_BYTES };
}

function persistedQueryOf(request: IncomingGraphQLRequest): { query: unknown; persisted: boolean } {
  if (request.method === 'GET') {
    const extensions = request.searchParams.get('extensions') ?? '';
    return { query: request.searchParams.get('query'), persisted: extensions.includes('persistedQuery') };
  }
  const body = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { query: undefined, persisted: false };
  const { query, extensions } = body as { query?: unknown; extensions?: unknown };
  const persisted = typeof extensions === 'object' && extensions !== null && 'persistedQuery' in extensions;
  return { query, persisted };
}

/**
 * Refuses, before Apollo parses or stores anything, a persisted-query registration whose text is
 * longer than `maxQueryBytes`: a registered query is kept for a day, so its size is capped on its
 * own, far below the request body's. Ordinary (unregistered) queries keep the body and token limits.
 */
export function persistedQuerySizeGuard(maxQueryBytes: number): RequestGuard {
  return (request) => {
    const { query, persisted } = persistedQueryOf(request);
    if (!persisted || typeof query !== 'string') return null;
    const bytes = Buffer.byteLength(query, 'utf8');
    if (bytes <= maxQueryBytes) return null;
    return {
      code: 'PERSISTED_QUERY_TOO_LARGE',
      message: `A persisted query may be at most ${maxQueryBytes} bytes (comments and whitespace count); this one is ${bytes}`,
    };
  };
}

/** Apollo Server's persisted-query cache interface (its keys are `apq:<sha256>`). */
export interface PersistedQueryStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options?: { ttl?: number | null }): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Waits for the registration of `queryHash` this process started, if any. */
  registered(queryHash: string): Promise<void>;
}

/**
 * Automatic persisted queries in the shared store, so a query registered through one replica runs
 * by its hash through any other. Fails open: with the store down a lookup misses (the client sends
 * the query text again, as the APQ protocol expects) and a registration is dropped.
 */
export function persistedQueryStore(
  runtime: CacheRuntime,
  maxQueryBytes = DEFAULT_APQ_CONFIG.maxQueryBytes,
): PersistedQueryStore {
  const { stats } = runtime;
  const pending = new Map<string, Promise<void>>();
  const ttlMs = (ttl: number | null | undefined) => (ttl ? ttl : runtime.config.apqTtlSeconds) * 1000;
  return {
    async get(key) {
      try {
        const query = await runtime.store.get(cacheKeys.apq(runtime.keyPrefix, key));
        if (query === null) stats.apq.misses += 1;
        else stats.apq.hits += 1;
        return query ?? undefined;
      } catch (error) {
        runtime.failed('apq', error);
        return undefined;
      }
    },
    set(key, value, options) {
      // The guard refuses larger registrations at the door; nothing larger is stored whatever reaches here.
      if (Buffer.byteLength(value, 'utf8') > maxQueryBytes) return Promise.resolve();
      const write = runtime.store
        .set(cacheKeys.apq(runtime.keyPrefix, key), value, ttlMs(options?.ttl))
        .catch((error: unknown) => runtime.failed('apq', error));
      const tracked = write.finally(() => {
        if (pending.get(key) === tracked) pending.delete(key);
      });
      pending.set(key, tracked);
      return tracked;
    },
    async delete(key) {
      try {
        return await runtime.store.delete(cacheKeys.apq(runtime.keyPrefix, key));
      } catch (error) {
        runtime.failed('apq', error);
        return false;
      }
    },
    async registered(queryHash) {
      await pending.get(`apq:${queryHash}`);
    },
  };
}

/**
 * Persisted queries in this process's memory (no Redis): a least-recently-used map bounded by the
 * bytes it holds (keys and texts as UTF-16, what V8 keeps), each entry expiring after its TTL, so a
 * flood of distinct registrations evicts old entries instead of growing the process.
 */
export function memoryPersistedQueryStore(
  config: ApqConfig = DEFAULT_APQ_CONFIG,
  ttlSeconds = 86_400,
  now: () => number = Date.now,
): PersistedQueryStore & { readonly bytes: number; readonly size: number } {
  const entries = new Map<string, { value: string; expiresAt: number; bytes: number }>();
  let bytes = 0;
  const remove = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return false;
    entries.delete(key);
    bytes -= entry.bytes;
    return true;
  };
  return {
    get bytes() {
      return bytes;
    },
    get size() {
      return entries.size;
    },
    get(key) {
      const entry = entries.get(key);
      if (!entry) return Promise.resolve(undefined);
      if (entry.expiresAt <= now()) {
        remove(key);
        return Promise.resolve(undefined);
      }
      // A Map iterates in insertion order: re-inserting makes this the most recently used.
      entries.delete(key);
      entries.set(key, entry);
      return Promise.resolve(entry.value);
    },
    set(key, value, options) {
      const size = 2 * (key.length + value.length) + 64;
      if (Buffer.byteLength(value, 'utf8') > config.maxQueryBytes || size > config.memoryMaxBytes)
        return Promise.resolve();
      remove(key);
      while (bytes + size > config.memoryMaxBytes) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        remove(oldest.value);
      }
      entries.set(key, { value, expiresAt: now() + (options?.ttl ?? ttlSeconds) * 1000, bytes: size });
      bytes += size;
      return Promise.resolve();
    },
    delete(key) {
      return Promise.resolve(remove(key));
    },
    registered() {
      return Promise.resolve();
    },
  };
}

/**
 * Apollo Server registers a persisted query without waiting for the store; this holds the
 * registering response until the query is stored, so the client's next request by hash finds it
 * whichever replica it reaches.
 */
export function persistedQueryRegistration(store: PersistedQueryStore): ApolloServerPlugin {
  return {
    // eslint-disable-next-line @typescript-eslint/require-await -- Apollo's plugin API types this hook as returning a Promise
    async requestDidStart() {
      return {
        async willSendResponse({ metrics, queryHash }) {
          if (metrics.persistedQueryRegister && queryHash) await store.registered(queryHash);
        },
      };
    },
  };
}
