// `npm run bench`: the stack in this process on the local Postgres, measured with autocannon over
// loopback. Every figure is reported next to a baseline measured in the same run, so the ratios
// carry the meaning, not the absolute numbers of this machine.
import type { IncomingMessage } from 'node:http';
import { writeFile, mkdir } from 'node:fs/promises';
import autocannon from 'autocannon';
import { z } from 'zod';
import { devToken, identitySigningConfigFromEnv, signIdentity } from '../lib/auth/index.ts';
import { Redis } from 'ioredis';
import type { CacheStats } from '../lib/cache/index.ts';
import {
  gatewayConfigFromEnv,
  isPersistedOnly,
  startGateway,
  type GatewayConfig,
  type GatewayProfile,
  type RunningGateway,
} from '../lib/gateway/index.ts';
import { dropDatabase, listDatabases } from '../lib/db/index.ts';
import { silentLogger } from '../lib/observability/index.ts';
import { DEMO_USER_ID } from '../lib/seed/index.ts';
import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/services.ts';
import type { ServicePrisma, StartedSubgraph } from '../lib/subgraph/index.ts';
import { SUBGRAPH_SERVICES } from '../subgraphs/index.ts';
import { mobileProfile } from '../gateway-mobile/src/profile.ts';
import { webProfile } from '../gateway-web/src/profile.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { operationsDir } from '../lib/gateway/index.ts';

const settings = z
  .object({
    DATABASE_URL: z.string().url().default('postgresql://postgres@127.0.0.1:5432/postgres'),
    BENCH_SECONDS: z.coerce.number().positive().max(120).default(5),
    SEED_SCALE: z.coerce.number().positive().max(100).default(1),
    // The cached gateway's Redis (keys under a prefix of this run, deleted after).
    BENCH_REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  })
  .parse(process.env);

interface Scenario {
  name: string;
  url: string;
  /** One body, or a new one per request (to defeat the response cache). */
  body: string | (() => string);
  headers: Record<string, string>;
  connections: number;
}

interface Figures {
  name: string;
  connections: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  bytesPerResponse: number;
  non2xx: number;
}

async function measure(s: Scenario): Promise<Figures> {
  const result = await autocannon({
    url: s.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...s.headers },
    ...(typeof s.body === 'string'
      ? { body: s.body }
      : {
          requests: [
            { setupRequest: (request: autocannon.Request) => ({ ...request, body: (s.body as () => string)() }) },
          ],
        }),
    connections: s.connections,
    duration: settings.BENCH_SECONDS,
  });
  return {
    name: s.name,
    connections: s.connections,
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    bytesPerResponse: Math.round(result.throughput.total / Math.max(1, result.requests.total)),
    non2xx: result.non2xx + result.errors,
  };
}

const prefix = `bench_${process.pid}_`;
// One user drives every scenario: with per-user rate limits on, the harness would measure 429s.
const env: NodeJS.ProcessEnv = {
  ...process.env,
  DATABASE_URL: settings.DATABASE_URL,
  DATABASE_PREFIX: prefix,
  RATE_LIMIT_ENABLED: 'false',
};
const servers = {} as Record<SubgraphName, StartedSubgraph<ServicePrisma>>;
const gateways: RunningGateway[] = [];

const REDIS_PREFIX = `bench:${process.pid}:`;

/**
 * A gateway over the bench's subgraphs: uncached unless `cached`, then with its caches on the bench's
 * Redis; unlimited unless `rateLimited`, then spending a budget too large to refuse, so the run
 * measures what an admission costs (one script on Redis per request), not refusals.
 */
async function gateway(profile: GatewayProfile, { cached = false, rateLimited = false } = {}): Promise<RunningGateway> {
  const redis = { REDIS_URL: settings.BENCH_REDIS_URL, REDIS_KEY_PREFIX: REDIS_PREFIX };
  const config = gatewayConfigFromEnv(profile, {
    ...env,
    [`GATEWAY_${profile.name.toUpperCase()}_PORT`]: '0',
    ...(cached ? { ...redis, CACHE_ENABLED: 'true', CACHE_CLOCK_SKEW_MS: '0' } : { CACHE_ENABLED: 'false' }),
    ...(rateLimited ? { ...redis, RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_QUERY_POINTS: '1000000000' } : {}),
  });
  const overrides: Partial<GatewayConfig> = {
    subgraphUrls: Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, servers[n].url])) as Record<SubgraphName, string>,
  };
  const started = await startGateway({ ...config, ...overrides }, silentLogger());
  gateways.push(started);
  return started;
}

try {
  console.log(`Seeding scale ${settings.SEED_SCALE} into ${prefix}* and starting the stack...`);
  for (const name of SUBGRAPH_NAMES)
    servers[name] = await SUBGRAPH_SERVICES[name].start({
      env,
      port: 0,
      logger: silentLogger(),
      seedScale: settings.SEED_SCALE,
    });
  const web = await gateway(webProfile);
  const mobile = await gateway(mobileProfile);
  const webCached = await gateway(webProfile, { cached: true });
  const webLimited = await gateway(webProfile, { rateLimited: true });

  const token = { authorization: `Bearer ${await devToken(DEMO_USER_ID)}` };
  const catalog = JSON.stringify({
    query: await readFile(join(operationsDir('web'), 'Catalog.graphql'), 'utf8'),
    variables: { first: 20 },
  });
  const webDashboard = JSON.stringify({
    query: await readFile(join(operationsDir('web'), 'Dashboard.graphql'), 'utf8'),
  });
  const manifest = isPersistedOnly(mobileProfile.operations) ? mobileProfile.operations.manifest : null;
  const mobileDashboard = JSON.stringify({
    extensions: {
      persistedQuery: { version: 1, sha256Hash: manifest?.operations.find((o) => o.name === 'Dashboard')?.id },
    },
  });
  // A catalog page under a price floor that changes with every request: never the same response
  // twice (the response cache misses), mostly the same products (the entity cache hits).
  const catalogSource = await readFile(join(operationsDir('web'), 'Catalog.graphql'), 'utf8');
  const pricedCatalog = () =>
    JSON.stringify({
      query: catalogSource,
      variables: { first: 20, filter: { minPrice: Math.round(Math.random() * 100_000) / 100 } },
    });
  // The baseline: the products subgraph answering its part of the catalog directly, no gateway.
  const direct = JSON.stringify({
    query:
      '{ products(first: 20) { totalCount edges { node { id name imageUrl price { amount currency } category { name } } } } }',
  });
  const signed = () => signIdentity({ userId: null, client: 'service' }, identitySigningConfigFromEnv(env));

  // Requests each subgraph receives for one web dashboard.
  const received: Record<string, number> = {};
  for (const name of SUBGRAPH_NAMES)
    servers[name].httpServer.on('request', (req: IncomingMessage) => {
      if (req.url?.startsWith('/graphql')) received[name] = (received[name] ?? 0) + 1;
    });
  await fetch(web.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...token },
    body: webDashboard,
  });
  const perDashboard = { ...received };

  // The cached gateway, warmed up by one request of each: then what a measured run costs in Redis round trips and hits.
  const cacheRuns: Record<
    string,
    { requests: number; roundTripsPerRequest: number; responseHitRatio: number; entityHitRatio: number }
  > = {};
  const cachedRun = async (
    name: string,
    body: string | (() => string),
    headers: Record<string, string>,
    connections: number,
  ): Promise<Figures> => {
    await fetch(webCached.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : body(),
    });
    const before = webCached.cacheStats() as CacheStats;
    const figures = await measure({ name, url: webCached.url, body, headers, connections });
    const after = webCached.cacheStats() as CacheStats;
    const requests = after.response.hits + after.response.misses - before.response.hits - before.response.misses;
    const ratio = (hits: number, misses: number) => (hits + misses > 0 ? hits / (hits + misses) : 0);
    cacheRuns[`${name} (${connections} conn)`] = {
      requests,
      roundTripsPerRequest: (after.roundTrips - before.roundTrips) / Math.max(1, requests),
      responseHitRatio: ratio(
        after.response.hits - before.response.hits,
        after.response.misses - before.response.misses,
      ),
      entityHitRatio: ratio(after.entity.hits - before.entity.hits, after.entity.misses - before.entity.misses),
    };
    return figures;
  };

  const results: Figures[] = [];
  for (const connections of [1, 10]) {
    results.push(
      await measure({
        name: 'products subgraph, direct (baseline)',
        url: servers.products.url,
        body: direct,
        headers: signed(),
        connections,
      }),
    );
    results.push(
      await measure({ name: 'catalog via gateway-web', url: web.url, body: catalog, headers: {}, connections }),
    );
    results.push(
      await measure({
        name: 'catalog via gateway-web, rate-limited',
        url: webLimited.url,
        body: catalog,
        headers: {},
        connections,
      }),
    );
    results.push(await cachedRun('catalog via gateway-web, cached', catalog, {}, connections));
    results.push(
      await measure({
        name: 'catalog, new price floor each time',
        url: web.url,
        body: pricedCatalog,
        headers: {},
        connections,
      }),
    );
    results.push(await cachedRun('catalog, new price floor, cached', pricedCatalog, {}, connections));
    results.push(
      await measure({ name: 'web dashboard', url: web.url, body: webDashboard, headers: token, connections }),
    );
    results.push(await cachedRun('web dashboard, cached', webDashboard, token, connections));
    results.push(
      await measure({ name: 'mobile dashboard', url: mobile.url, body: mobileDashboard, headers: token, connections }),
    );
  }

  // One subgraph down: the dashboard answers without the reviews fields (breaker open after the first failures).
  await servers.reviews.close();
  results.push(
    await measure({
      name: 'web dashboard, reviews down',
      url: web.url,
      body: webDashboard,
      headers: token,
      connections: 1,
    }),
  );

  const find = (name: string, connections: number) =>
    results.find((r) => r.name === name && r.connections === connections) as Figures;
  const ratios = {
    'gateway catalog p50 / direct subgraph p50 (1 conn)':
      find('catalog via gateway-web', 1).p50 / Math.max(0.01, find('products subgraph, direct (baseline)', 1).p50),
    'web dashboard p50 / mobile dashboard p50 (1 conn)':
      find('web dashboard', 1).p50 / Math.max(0.01, find('mobile dashboard', 1).p50),
    'web dashboard bytes / mobile dashboard bytes':
      find('web dashboard', 1).bytesPerResponse / find('mobile dashboard', 1).bytesPerResponse,
    'web dashboard p50, reviews down / all up (1 conn)':
      find('web dashboard, reviews down', 1).p50 / Math.max(0.01, find('web dashboard', 1).p50),
    'mobile dashboard req/s / web dashboard req/s (10 conn)':
      find('mobile dashboard', 10).requestsPerSecond / Math.max(1, find('web dashboard', 10).requestsPerSecond),
    'rate-limit overhead on catalog p50, % (1 conn)':
      (100 * (find('catalog via gateway-web, rate-limited', 1).p50 - find('catalog via gateway-web', 1).p50)) /
      Math.max(0.01, find('catalog via gateway-web', 1).p50),
    'rate-limit overhead on catalog req/s, % (10 conn)':
      (100 *
        (find('catalog via gateway-web', 10).requestsPerSecond -
          find('catalog via gateway-web, rate-limited', 10).requestsPerSecond)) /
      Math.max(1, find('catalog via gateway-web', 10).requestsPerSecond),
    'cached / uncached catalog req/s (10 conn)':
      find('catalog via gateway-web, cached', 10).requestsPerSecond /
      Math.max(1, find('catalog via gateway-web', 10).requestsPerSecond),
    'entity cache only: cached / uncached catalog with a new price floor each time, req/s (10 conn)':
      find('catalog, new price floor, cached', 10).requestsPerSecond /
      Math.max(1, find('catalog, new price floor each time', 10).requestsPerSecond),
    'cached / uncached web dashboard req/s (10 conn)':
      find('web dashboard, cached', 10).requestsPerSecond / Math.max(1, find('web dashboard', 10).requestsPerSecond),
    'cached / uncached web dashboard req/s (1 conn)':
      find('web dashboard, cached', 1).requestsPerSecond / Math.max(1, find('web dashboard', 1).requestsPerSecond),
  };

  console.log(`\n${'scenario'.padEnd(40)} conn   req/s    p50 ms   p99 ms   bytes  non-2xx`);
  for (const r of results) {
    console.log(
      `${r.name.padEnd(40)} ${String(r.connections).padStart(4)} ${String(r.requestsPerSecond).padStart(7)} ${String(r.p50).padStart(9)} ${String(r.p99).padStart(8)} ${String(r.bytesPerResponse).padStart(7)} ${String(r.non2xx).padStart(8)}`,
    );
  }
  console.log(`\nSubgraph requests per web dashboard: ${JSON.stringify(perDashboard)}`);
  for (const [name, value] of Object.entries(ratios)) console.log(`${name}: ${value.toFixed(2)}`);
  console.log('\nCached gateway, after one warm-up request (Redis round trips per request, hit ratios):');
  for (const [name, run] of Object.entries(cacheRuns)) {
    console.log(
      `${name.padEnd(44)} round trips ${run.roundTripsPerRequest.toFixed(2)}, response hits ${(run.responseHitRatio * 100).toFixed(1)}%, entity hits ${(run.entityHitRatio * 100).toFixed(1)}% (${run.requests} requests)`,
    );
  }
  await mkdir('reports', { recursive: true });
  await writeFile(
    'reports/bench.json',
    JSON.stringify({ settings, results, ratios, perDashboard, cacheRuns }, null, 2),
  );
  console.log('\nWrote reports/bench.json');
} finally {
  await Promise.all(gateways.map((g) => g.close()));
  await Promise.all(Object.values(servers).map((s) => s.close().catch(() => undefined)));
  for (const name of await listDatabases(settings.DATABASE_URL, prefix))
    await dropDatabase(settings.DATABASE_URL, name);
  const redis = new Redis(settings.BENCH_REDIS_URL, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${REDIS_PREFIX}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } catch {
    // Redis was not there: nothing of this run to delete.
  } finally {
    redis.disconnect();
  }
}
