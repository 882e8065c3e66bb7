// `npm run bench:hostile`: the hostile operations of issue 13 against a real gateway-web (in this
// process, subgraphs on the local Postgres, budgets and APQ on the local Redis under a prefix of this
// run), printing one figure per finding: time, cost, remaining budget, memory. It only uses the
// gateway's public HTTP surface, so the same script measures any commit.
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { startSubgraphs } from '../test/support/subgraphs.ts';
import { startTestGateway, postGraphQL } from '../test/support/gateway.ts';
import { PROFILES } from '../test/support/gateway.ts';
import { cacheConfigFromEnv } from '../lib/cache/index.ts';
import { rateLimitConfigFromEnv } from '../lib/ratelimit/index.ts';
import { redisConfigFromEnv } from '../lib/redis/index.ts';

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `bench-hostile-${randomUUID().slice(0, 8)}:`;
const out: Record<string, unknown> = {};
const log = (key: string, value: unknown) => {
  out[key] = value;
  console.log(key, JSON.stringify(value));
};

function fanOut(levels: number, width = 10): string {
  const frags = Array.from({ length: levels }, (_, i) =>
    i === levels - 1
      ? `fragment F${i} on Query { __typename }`
      : `fragment F${i} on Query { ${Array(width)
          .fill(`...F${i + 1}`)
          .join(' ')} }`,
  );
  return `{ ...F0 } ${frags.join(' ')}`;
}

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await run();
  return [value, Math.round(performance.now() - start)];
}

const fleet = await startSubgraphs(`bench_hostile_${randomUUID().slice(0, 6)}_`);
const env = { REDIS_URL, REDIS_KEY_PREFIX: prefix };
const redis = redisConfigFromEnv(env);
const rateLimit = rateLimitConfigFromEnv(
  { budgets: PROFILES.web.rateLimitBudgets, failClosedFields: PROFILES.web.rateLimitFailClosedFields },
  redis,
  env,
);
const cache = cacheConfigFromEnv(redis, env);
// Behind a proxy on loopback: trust it (ignored by commits without TRUSTED_PROXIES support).
const web = await startTestGateway(fleet.urls, {
  rateLimit,
  cache,
  trustedProxies: { cidrs: ['127.0.0.1/32', '::1/128'] },
});
const prod = await startTestGateway(fleet.urls, { production: true });
const memoryApq = await startTestGateway(fleet.urls, {});
const client = new Redis(REDIS_URL);
try {
  // 1. Fragment fan-out: the answer's time and how long /health waits meanwhile.
  for (const levels of (process.env.BENCH_FANOUT_LEVELS ?? '6,7,8').split(',').map(Number)) {
    const query = fanOut(levels);
    // The gateway runs in this process: how long its event loop stood still is how long /health waited.
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const [response, ms] = await timed(() =>
      postGraphQL(web.url, query, {}, { 'x-forwarded-for': '203.0.113.1' }).catch((e: unknown) => ({
        error: String(e),
      })),
    );
    delay.disable();
    const healthMs = Math.round(delay.max / 1e6);
    const body = 'body' in response ? response.body : response;
    log(`fanout.levels${levels}`, {
      bytes: query.length,
      ms,
      eventLoopBlockedMs: healthMs,
      codes: 'errors' in body ? (body.errors ?? []).map((e) => e.extensions?.code) : [],
    });
  }

  // 2. A negative page under a null field: the cost and the budget left.
  const negative =
    '{ product(id: "00000000-0000-4000-8000-00000000dead") { reviews(first: -2000000) { edges { node { id author { name } } } } } products(first: 100) { edges { node { reviews(first: 100) { edges { node { id } } } } } } }';
  const neg = await postGraphQL(web.url, negative, {}, { 'x-forwarded-for': '203.0.113.9' });
  log('negativeFirst', {
    status: neg.status,
    bytes: JSON.stringify(neg.body).length,
    rateLimit: neg.body.extensions?.rateLimit,
    codes: (neg.body.errors ?? []).map((e) => e.extensions?.code),
  });
  const negVar = await postGraphQL(web.url, 'query($n: Int) { products(first: $n) { totalCount } }', { n: -5 });
  log('negativeFirstVariable', {
    status: negVar.status,
    rateLimit: negVar.body.extensions?.rateLimit,
    codes: (negVar.body.errors ?? []).map((e) => e.extensions?.code),
  });

  // 3. APQ flood: 60 distinct registrations of `{ __typename }` behind a 900 KB comment, in-process store and Redis.
  const flood = async (url: string) => {
    global.gc?.();
    const before = process.memoryUsage().rss;
    let stored = 0;
    const costs: unknown[] = [];
    for (let i = 0; i < 60; i++) {
      const query = `#${String(i).padStart(4, '0')}${'x'.repeat(900_000)}\n{ __typename }`;
      const sha256Hash = (await import('node:crypto')).createHash('sha256').update(query).digest('hex');
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.7' },
        body: JSON.stringify({ query, extensions: { persistedQuery: { version: 1, sha256Hash } } }),
      });
      const body = (await response.json()) as { errors?: unknown[]; extensions?: { rateLimit?: { cost?: number } } };
      if (!body.errors) stored++;
      if (i === 0) costs.push(body.extensions?.rateLimit ?? null, body.errors ?? null);
    }
    global.gc?.();
    return { stored, rssGrowthMB: Math.round((process.memoryUsage().rss - before) / 1e6), first: costs };
  };
  log('apqFlood.memory', await flood(memoryApq.url));
  const redisBefore = Number(/used_memory:(\d+)/.exec(await client.info('memory'))![1]);
  const redisFlood = await flood(web.url);
  const redisAfter = Number(/used_memory:(\d+)/.exec(await client.info('memory'))![1]);
  log('apqFlood.redis', { ...redisFlood, redisGrowthMB: Math.round((redisAfter - redisBefore) / 1e6) });

  // 4. Aliases of __typename and repeated unknown directives.
  const aliases = await postGraphQL(
    web.url,
    `{ ${Array.from({ length: 101 }, (_, i) => `a${i}: __typename`).join(' ')} }`,
  );
  log('aliases101', { status: aliases.status, codes: (aliases.body.errors ?? []).map((e) => e.extensions?.code) });
  const directives = await postGraphQL(web.url, `{ __typename ${'@nope '.repeat(50)} }`);
  log('unknownDirectives50', { status: directives.status, errors: (directives.body.errors ?? []).length });

  // 5. Production validation messages.
  const probes = ['{ product(id: "x") { price } }', '{ product(id: "x") { nope } }', '{ nope }'];
  const messages = [];
  for (const probe of probes)
    messages.push(...((await postGraphQL(prod.url, probe)).body.errors ?? []).map((e) => e.message));
  log('productionMessages', messages);

  // 6. Anonymous key behind a proxy: two forwarded clients, does the second see the first's spend?
  const a = await postGraphQL(
    web.url,
    '{ products(first: 50) { totalCount } }',
    {},
    { 'x-forwarded-for': '192.0.2.10' },
  );
  const b = await postGraphQL(web.url, '{ rateLimit { remaining } }', {}, { 'x-forwarded-for': '192.0.2.11' });
  log('proxiedAnonymous', { first: a.body.extensions?.rateLimit, second: b.body.extensions?.rateLimit });

  // 7. /ready with Redis down is measured in the tests (it needs a Redis to stop); cache-control with caches off:
  const off = await startTestGateway(fleet.urls, { cache: { ...cache, enabled: false } });
  const dash = await fetch(off.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ products(first: 1) { totalCount } }' }),
  });
  log('cacheDisabled.cacheControl', dash.headers.get('cache-control'));
  await off.close();
} finally {
  await Promise.all([web.close(), prod.close(), memoryApq.close()]);
  await fleet.close();
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await client.del(...keys);
  } while (cursor !== '0');
  client.disconnect();
}
console.log(JSON.stringify(out));
process.exit(0);
