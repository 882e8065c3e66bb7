// Prometheus metrics on all eight processes: the six subgraphs (with their workers, events over the
// real Redis) and both gateways (caches, APQ and rate limits on the real Redis), after real traffic
// (catalog queries, a dashboard, errors, APQ, a checkout and its idempotent replay), each scraped on
// its own port; every family the operations guide lists is there with its type, and no label
// carries an id, a user or a raw query. Then who may read /metrics in production.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayConfigFromEnv, startGateway, type RunningGateway } from '../lib/gateway/index.ts';
import { metricsAccessFromEnv } from '../lib/observability/metrics/access.ts';
import { silentLogger } from '../lib/observability/index.ts';
import { SUBGRAPH_NAMES, urlVariable, type GatewayName } from '../lib/services.ts';
import { asUser, testGatewayAuth } from './support/auth.ts';
import { CARDS, CHECKOUT, CheckoutFixtures, waitUntil } from './support/checkoutFixtures.ts';
import { uniquePrefix } from './support/databases.ts';
import { PROFILES, postGraphQL, startTestGateway } from './support/gateway.ts';
import { deleteKeys, TEST_REDIS_URL, uniqueKeyPrefix } from './support/redis.ts';
import { startSubgraphs, type SubgraphFleet } from './support/subgraphs.ts';

const prefix = uniquePrefix('metrics');
const keyPrefix = uniqueKeyPrefix('metrics');
const logger = silentLogger();
// Timeouts far above what a busy machine needs, one attempt per call: counts stay exact.
const patientPolicy = JSON.stringify({
  timeoutMs: 20_000,
  budgetMs: 40_000,
  retry: { maxAttempts: 1 },
  health: { timeoutMs: 10_000, unhealthyThreshold: 100 },
});
const redisEnv = { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: keyPrefix, SUBGRAPH_POLICY: patientPolicy };
const eventsEnv = { EVENTS_CLAIM_IDLE_MS: '200', EVENTS_BLOCK_MS: '100', EVENTS_RELAY_POLL_MS: '20' };

let fleet: SubgraphFleet;
const gateways = {} as Record<GatewayName, RunningGateway>;
let fixtures: CheckoutFixtures;
let redis: Redis;

/** A gateway configured from env as its process is (Redis caches, APQ and rate limits), on an ephemeral port. */
async function gatewayFromEnv(name: GatewayName): Promise<RunningGateway> {
  const env = {
    ...redisEnv,
    ...Object.fromEntries(SUBGRAPH_NAMES.map((s) => [urlVariable(s), fleet.urls[s]])),
  };
  return startGateway({ ...gatewayConfigFromEnv(PROFILES[name], env), port: 0, auth: testGatewayAuth() }, logger);
}

beforeAll(async () => {
  fleet = await startSubgraphs(prefix, { workers: true, env: { ...redisEnv, ...eventsEnv } });
  gateways.web = await gatewayFromEnv('web');
  gateways.mobile = await gatewayFromEnv('mobile');
  fixtures = await CheckoutFixtures.open(prefix);
  redis = new Redis(TEST_REDIS_URL);
}, 120_000);

afterAll(async () => {
  await Promise.all(Object.values(gateways).map((g) => g.close()));
  await fixtures?.close();
  await fleet?.close();
  if (redis) {
    await deleteKeys(redis, keyPrefix);
    redis.disconnect();
  }
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Scrape {
  types: Map<string, string>;
  samples: Sample[];
}

/** Prometheus' text format, as far as prom-client writes it. */
function parseExposition(text: string): Scrape {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`Unparsable sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return { types, samples };
}

async function scrape(url: string, headers: Record<string, string> = {}): Promise<Scrape> {
  const response = await fetch(url, { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

function metricsUrl(graphqlUrl: string): string {
  return graphqlUrl.replace(/\/graphql$/, '/metrics');
}

/** The value of one sample (summed over the samples matching `labels`), 0 when absent. */
function valueOf(scrape: Scrape, name: string, labels: Record<string, string> = {}): number {
  return scrape.samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

const NODE_DEFAULTS = {
  process_cpu_seconds_total: 'counter',
  process_resident_memory_bytes: 'gauge',
  nodejs_eventloop_lag_seconds: 'gauge',
  nodejs_heap_size_used_bytes: 'gauge',
  nodejs_gc_duration_seconds: 'histogram',
};

const GATEWAY_FAMILIES = {
  bff_gateway_requests_total: 'counter',
  bff_gateway_request_duration_seconds: 'histogram',
  bff_gateway_errors_total: 'counter',
  bff_gateway_subgraph_fetch_duration_seconds: 'histogram',
  bff_gateway_subgraph_fetch_errors_total: 'counter',
  bff_gateway_subgraph_fetch_retries_total: 'counter',
  bff_gateway_breaker_state: 'gauge',
  bff_gateway_breaker_transitions_total: 'counter',
  bff_gateway_breaker_rejections_total: 'counter',
  bff_gateway_bulkhead_in_flight: 'gauge',
  bff_gateway_bulkhead_queued: 'gauge',
  bff_gateway_bulkhead_rejections_total: 'counter',
  bff_gateway_subgraph_healthy_instances: 'gauge',
  bff_gateway_subgraph_instances: 'gauge',
  bff_gateway_cache_lookups_total: 'counter',
  bff_gateway_cache_writes_total: 'counter',
  bff_gateway_cache_invalidations_total: 'counter',
  bff_gateway_redis_round_trips_total: 'counter',
  bff_gateway_rate_limit_decisions_total: 'counter',
  bff_gateway_apq_total: 'counter',
};

const SUBGRAPH_FAMILIES = {
  bff_subgraph_requests_total: 'counter',
  bff_subgraph_request_duration_seconds: 'histogram',
  bff_subgraph_resolver_errors_total: 'counter',
  bff_subgraph_sql_statements_per_request: 'histogram',
  bff_subgraph_db_pool_connections: 'gauge',
  bff_subgraph_outbox_backlog: 'gauge',
  bff_subgraph_outbox_publish_lag_seconds: 'gauge',
  bff_subgraph_event_consumer_lag: 'gauge',
  bff_subgraph_event_dead_letters: 'gauge',
};

const ORDERS_FAMILIES = {
  bff_orders_sagas_started_total: 'counter',
  bff_orders_sagas_finished_total: 'counter',
  bff_orders_saga_duration_seconds: 'histogram',
  bff_orders_saga_recovery_takeovers_total: 'counter',
  bff_orders_idempotent_replays_total: 'counter',
};

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** Every label value is a short word from a fixed vocabulary: no id, no user, no query text, no URL. */
function expectBoundedLabels(scrape: Scrape, secrets: readonly string[]): void {
  const seriesPerFamily = new Map<string, number>();
  for (const sample of scrape.samples) {
    for (const [key, value] of Object.entries(sample.labels)) {
      expect(value, `${sample.name}{${key}}`).not.toMatch(UUID);
      expect(value, `${sample.name}{${key}}`).toMatch(/^[\w.+-]{0,40}$/);
      for (const secret of secrets) expect(value).not.toContain(secret);
    }
    const family = sample.name.replace(/_(bucket|sum|count)$/, '');
    seriesPerFamily.set(family, (seriesPerFamily.get(family) ?? 0) + 1);
  }
  // The widest family: the fetch histogram, 6 subgraphs x a few outcomes x 13 buckets/sum/count.
  for (const [family, count] of seriesPerFamily) expect(count, family).toBeLessThan(600);
}

function expectFamilies(scrape: Scrape, families: Record<string, string>): void {
  for (const [name, type] of Object.entries(families)) expect(scrape.types.get(name), name).toBe(type);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('metrics', () => {
  it('serves every family on every process after real traffic, with bounded labels', async () => {
    const web = gateways.web.url;
    const buyer = await fixtures.createUser();
    const product = await fixtures.createProduct(5, 1999);
    const buyerHeaders = await asUser(buyer);

    // A registered operation, an unnamed one, a named unregistered one.
    const catalog = readFileSync(new URL('../gateway-web/operations/Catalog.graphql', import.meta.url), 'utf8');
    expect((await postGraphQL(web, catalog, { first: 3 })).body.errors).toBeUndefined();
    expect((await postGraphQL(web, '{ products(first: 2) { edges { node { name } } } }')).body.errors).toBeUndefined();
    const unregistered = 'query SomeoneElsesName { products(first: 1) { totalCount } }';
    expect((await postGraphQL(web, unregistered)).body.errors).toBeUndefined();
    // Errors: a malformed id, and a dashboard without a token.
    const badId = await postGraphQL(web, '{ product(id: "not-an-id") { name } }');
    expect(badId.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const anonymous = await postGraphQL(web, '{ dashboard { user { name } } }');
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // APQ: a miss, the registration, a hit.
    const apqQuery = '{ categories { name } }';
    const persisted = { persistedQuery: { version: 1, sha256Hash: sha256(apqQuery) } };
    const apq = (body: Record<string, unknown>) =>
      fetch(web, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...body, extensions: persisted }),
      }).then((r) => r.json() as Promise<{ errors?: Array<{ extensions?: { code?: string } }> }>);
    expect((await apq({})).errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await apq({ query: apqQuery })).errors).toBeUndefined();
    expect((await apq({})).errors).toBeUndefined();
    // A checkout to its end, then the same key again (an idempotent replay).
    const addToCart = await postGraphQL(
      web,
      'mutation($p: ID!) { addToCart(productId: $p, quantity: 1) { itemCount } }',
      { p: product },
      buyerHeaders,
    );
    expect(addToCart.body.errors).toBeUndefined();
    const checkoutVariables = { input: { paymentMethod: CARDS.visa }, key: `metrics-${buyer}` };
    const placed = await postGraphQL(web, CHECKOUT, checkoutVariables, buyerHeaders);
    expect(placed.body.errors).toBeUndefined();
    const orderId = (placed.body.data as { checkout: { id: string } }).checkout.id;
    await waitUntil(async () => {
      const read = await postGraphQL(
        web,
        'query($id: ID!) { order(id: $id) { saga { state } } }',
        { id: orderId },
        buyerHeaders,
      );
      return (
        (read.body.data as { order?: { saga: { state: string } } } | null)?.order?.saga.state === 'SUCCEEDED' ||
        undefined
      );
    }, 'the checkout to succeed');
    expect((await postGraphQL(web, CHECKOUT, checkoutVariables, buyerHeaders)).body.errors).toBeUndefined();
    // The signed-in dashboard (a plan across several subgraphs), and mobile's registered Catalog.
    expect((await postGraphQL(web, '{ dashboard { user { name } } }', {}, buyerHeaders)).body.errors).toBeUndefined();
    const manifest = JSON.parse(
      readFileSync(new URL('../gateway-mobile/persisted-query-manifest.json', import.meta.url), 'utf8'),
    ) as { operations: Array<{ id: string; name: string }> };
    const mobileCatalog = manifest.operations.find((o) => o.name === 'Catalog')!;
    const mobile = await fetch(gateways.mobile.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        operationName: 'Catalog',
        variables: {},
        extensions: { persistedQuery: { version: 1, sha256Hash: mobileCatalog.id } },
      }),
    });
    expect(((await mobile.json()) as { errors?: unknown }).errors).toBeUndefined();

    const secrets = [buyer, product, orderId, 'SomeoneElsesName', 'not-an-id'];

    // Both gateways.
    const webScrape = await scrape(metricsUrl(web));
    const mobileScrape = await scrape(metricsUrl(gateways.mobile.url));
    for (const scraped of [webScrape, mobileScrape]) {
      expectFamilies(scraped, { ...NODE_DEFAULTS, ...GATEWAY_FAMILIES });
      expectBoundedLabels(scraped, secrets);
      for (const s of scraped.samples.filter((x) => x.name === 'bff_gateway_requests_total'))
        expect(['Catalog', 'Dashboard', 'AddReview', 'UpdateProfile', 'Product', 'anonymous', 'other']).toContain(
          s.labels.operation,
        );
    }
    expect(
      valueOf(webScrape, 'bff_gateway_requests_total', { operation: 'Catalog', client: 'web', outcome: 'success' }),
    ).toBe(1);
    expect(valueOf(webScrape, 'bff_gateway_requests_total', { operation: 'other' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(webScrape, 'bff_gateway_requests_total', { operation: 'anonymous' })).toBeGreaterThanOrEqual(4);
    expect(valueOf(webScrape, 'bff_gateway_errors_total', { code: 'BAD_USER_INPUT' })).toBe(1);
    expect(valueOf(webScrape, 'bff_gateway_errors_total', { code: 'UNAUTHENTICATED' })).toBe(1);
    expect(valueOf(webScrape, 'bff_gateway_apq_total', { result: 'miss' })).toBe(1);
    expect(valueOf(webScrape, 'bff_gateway_apq_total', { result: 'registered' })).toBe(1);
    expect(valueOf(webScrape, 'bff_gateway_apq_total', { result: 'hit' })).toBe(1);
    expect(
      valueOf(webScrape, 'bff_gateway_rate_limit_decisions_total', { decision: 'admitted', reason: 'mutation' }),
    ).toBeGreaterThanOrEqual(3);
    expect(
      valueOf(webScrape, 'bff_gateway_rate_limit_decisions_total', { decision: 'admitted', reason: 'query' }),
    ).toBeGreaterThan(0);
    expect(
      valueOf(webScrape, 'bff_gateway_subgraph_fetch_duration_seconds_count', { subgraph: 'orders', outcome: 'ok' }),
    ).toBeGreaterThan(0);
    expect(valueOf(webScrape, 'bff_gateway_breaker_state', { subgraph: 'orders', state: 'closed' })).toBe(1);
    expect(valueOf(webScrape, 'bff_gateway_subgraph_healthy_instances', { subgraph: 'products' })).toBe(1);
    expect(valueOf(webScrape, 'bff_gateway_cache_lookups_total', { layer: 'response' })).toBeGreaterThan(0);
    expect(valueOf(webScrape, 'bff_gateway_redis_round_trips_total')).toBeGreaterThan(0);
    expect(valueOf(mobileScrape, 'bff_gateway_requests_total', { operation: 'Catalog', client: 'mobile' })).toBe(1);

    // Every subgraph on its own port.
    const scrapes = Object.fromEntries(
      await Promise.all(
        SUBGRAPH_NAMES.map(async (name) => [name, await scrape(metricsUrl(fleet.urls[name]))] as const),
      ),
    );
    for (const name of SUBGRAPH_NAMES) {
      const scraped = scrapes[name]!;
      expectFamilies(scraped, { ...NODE_DEFAULTS, ...SUBGRAPH_FAMILIES });
      expectBoundedLabels(scraped, secrets);
      expect(valueOf(scraped, 'process_cpu_seconds_total', { service: name })).toBeGreaterThan(0);
      expect(valueOf(scraped, 'bff_subgraph_requests_total')).toBeGreaterThan(0);
      expect(valueOf(scraped, 'bff_subgraph_db_pool_connections', { state: 'idle' })).toBeGreaterThanOrEqual(0);
    }
    // SQL per request: products answered queries, each with statements.
    expect(valueOf(scrapes.products!, 'bff_subgraph_sql_statements_per_request_count')).toBeGreaterThan(0);
    expect(valueOf(scrapes.products!, 'bff_subgraph_sql_statements_per_request_sum')).toBeGreaterThan(0);
    expect(valueOf(scrapes.products!, 'bff_subgraph_resolver_errors_total', { code: 'BAD_USER_INPUT' })).toBe(1);
    // Consumers' streams: products and reviews consume order.confirmed; nothing dead-lettered.
    expect(scrapes.products!.samples.some((s) => s.name === 'bff_subgraph_event_consumer_lag')).toBe(true);
    expect(valueOf(scrapes.reviews!, 'bff_subgraph_event_dead_letters')).toBe(0);
    // The saga: started, finished, timed, and the replay counted.
    const orders = scrapes.orders!;
    expectFamilies(orders, ORDERS_FAMILIES);
    expect(valueOf(orders, 'bff_orders_sagas_started_total', { kind: 'CHECKOUT' })).toBe(1);
    expect(valueOf(orders, 'bff_orders_sagas_finished_total', { kind: 'CHECKOUT', outcome: 'SUCCEEDED' })).toBe(1);
    expect(valueOf(orders, 'bff_orders_saga_duration_seconds_count', { kind: 'CHECKOUT' })).toBe(1);
    expect(valueOf(orders, 'bff_orders_idempotent_replays_total')).toBe(1);
    // The outbox drains: order.confirmed was published.
    await waitUntil(
      async () =>
        valueOf(await scrape(metricsUrl(fleet.urls.orders)), 'bff_subgraph_outbox_backlog') === 0 || undefined,
      'the outbox to drain',
    );
  }, 180_000);

  it('keeps /metrics from anonymous callers in production: a token, or a port of its own', async () => {
    const token = 'metrics-token-0123456789abcdef';
    const closed = await startTestGateway(fleet.urls, { metrics: { production: true, port: null, token: null } });
    const tokened = await startTestGateway(fleet.urls, { metrics: { production: true, port: null, token } });
    const separate = await startTestGateway(fleet.urls, { metrics: { production: true, port: 0, token: null } });
    try {
      expect((await fetch(metricsUrl(closed.url))).status).toBe(404);

      expect((await fetch(metricsUrl(tokened.url))).status).toBe(401);
      expect(
        (await fetch(metricsUrl(tokened.url), { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status,
      ).toBe(401);
      const withToken = await scrape(metricsUrl(tokened.url), { authorization: `Bearer ${token}` });
      expectFamilies(withToken, GATEWAY_FAMILIES);

      expect((await fetch(metricsUrl(separate.url))).status).toBe(404);
      expect(separate.metricsPort).toBeGreaterThan(0);
      const onItsPort = await scrape(`http://127.0.0.1:${separate.metricsPort}/metrics`);
      expectFamilies(onItsPort, GATEWAY_FAMILIES);
      expect((await fetch(`http://127.0.0.1:${separate.metricsPort}/graphql`)).status).toBe(404);
    } finally {
      await Promise.all([closed.close(), tokened.close(), separate.close()]);
    }
  }, 60_000);

  it('reads METRICS_PORT and METRICS_TOKEN from env, failing fast on a bad value', () => {
    expect(metricsAccessFromEnv({})).toEqual({ production: false, port: null, token: null });
    expect(
      metricsAccessFromEnv({ NODE_ENV: 'production', METRICS_PORT: '9464', METRICS_TOKEN: 'x'.repeat(32) }),
    ).toEqual({
      production: true,
      port: 9464,
      token: 'x'.repeat(32),
    });
    expect(() => metricsAccessFromEnv({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
    expect(() => metricsAccessFromEnv({ METRICS_PORT: 'ninety' })).toThrow(/METRICS_PORT/);
  });
});
