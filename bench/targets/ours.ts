// Our gateway (web or mobile) in its own process for the bench: rate limits on (a budget too large to
// refuse, so an admission's cost is measured, not refusals), caches on or off.
import { Redis } from 'ioredis';
import { z } from 'zod';
import { gatewayConfigFromEnv, startGateway } from '../../lib/gateway/index.ts';
import { silentLogger } from '../../lib/observability/index.ts';
import { SUBGRAPH_NAMES, type SubgraphName } from '../../lib/services.ts';
import { mobileProfile } from '../../gateway-mobile/src/profile.ts';
import { webProfile } from '../../gateway-web/src/profile.ts';
import { serveParent } from '../ipc.ts';

const options = z
  .object({
    BENCH_PROFILE: z.enum(['web', 'mobile']),
    BENCH_CACHED: z.enum(['true', 'false']),
    /** With BENCH_CACHED: `false` keeps the entity cache alone (CACHE_RESPONSES=false). */
    BENCH_RESPONSES: z.enum(['true', 'false']).default('true'),
    BENCH_RATE_LIMITED: z.enum(['true', 'false']),
    BENCH_SUBGRAPH_URLS: z.string(),
    /** `false`: every request through Apollo's pipeline (the lean path for known queries off), for A/B runs. */
    BENCH_KNOWN_OPERATIONS_PATH: z.enum(['true', 'false']).default('true'),
  })
  .parse(process.env);

// Every command this process sends to Redis, counted where ioredis sends it (one round trip each,
// pipelines aside: the gateway does not pipeline).
let redisCommands = 0;
const send: (this: Redis, ...args: Parameters<Redis['sendCommand']>) => ReturnType<Redis['sendCommand']> =
  // eslint-disable-next-line @typescript-eslint/unbound-method -- re-bound to each instance below
  Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function countedSendCommand(this: Redis, ...args: Parameters<Redis['sendCommand']>) {
  redisCommands += 1;
  return send.apply(this, args);
};

const profile = options.BENCH_PROFILE === 'web' ? webProfile : mobileProfile;
const config = gatewayConfigFromEnv(profile, {
  ...process.env,
  [`GATEWAY_${profile.name.toUpperCase()}_PORT`]: '0',
  CACHE_ENABLED: options.BENCH_CACHED,
  CACHE_RESPONSES: options.BENCH_RESPONSES,
  CACHE_CLOCK_SKEW_MS: '0',
  RATE_LIMIT_ENABLED: options.BENCH_RATE_LIMITED,
  RATE_LIMIT_QUERY_POINTS: '1000000000',
  // Stock and Hive wait for every subgraph answer; so does ours here (a loaded bench machine must not
  // time calls out, or fail health checks, and make a partial answer look cheap).
  SUBGRAPH_POLICY: JSON.stringify({
    timeoutMs: 60_000,
    budgetMs: 120_000,
    health: { intervalMs: 60_000, timeoutMs: 30_000 },
  }),
});
const subgraphUrls = z.record(z.string(), z.string()).parse(JSON.parse(options.BENCH_SUBGRAPH_URLS));
const gateway = await startGateway(
  {
    ...config,
    subgraphUrls: Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, subgraphUrls[n]])) as Record<SubgraphName, string>,
    knownOperationsPath: options.BENCH_KNOWN_OPERATIONS_PATH === 'true',
  },
  silentLogger(),
);
// Subgraph calls that did not end well (timeouts, refusals, errors): the bench fails a run that has any.
let failedCalls = 0;
for (const name of SUBGRAPH_NAMES) {
  const upstream = gateway.upstreams.get(name);
  const metrics = upstream.observer; // kept: the gateway's own metrics are part of what is measured
  upstream.observer = (call) => {
    metrics?.(call);
    if (call.outcome !== 'ok') failedCalls += 1;
  };
}
process.on('SIGTERM', () => {
  void gateway.close().finally(() => process.exit(0));
});
serveParent(
  { url: gateway.url },
  {
    counts: () => ({
      redisCommands,
      failedCalls,
      shared: gateway.inflightStats().shared,
      representations: gateway.entityDedupStats(),
      cache: gateway.cacheStats(),
    }),
  },
);
