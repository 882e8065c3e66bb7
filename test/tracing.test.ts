// OpenTelemetry traces of one checkout through gateway-web: the real gateway and the six real
// subgraphs in this process (on their own ports, talking HTTP), Postgres and Redis, with the SDK
// started the way every process starts it, its exporter swapped for an in-memory one. The spans
// must form one trace, joined across processes by the W3C traceparent each hop sends: gateway
// operation, Apollo's plan and fetches, each subgraph call (with its breaker and retry outcome),
// each subgraph's operation and its SQL, Redis commands, and the saga's steps calling inventory
// and payments.
import { tracing } from '@opentelemetry/sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayConfigFromEnv, startGateway, type RunningGateway } from '../lib/gateway/index.ts';
import { silentLogger, startTracing, tracingRequested, type TracingHandle } from '../lib/observability/index.ts';
import { SUBGRAPH_NAMES, urlVariable } from '../lib/services.ts';
import { asUser, testGatewayAuth } from './support/auth.ts';
import { CARDS, CheckoutFixtures, waitUntil } from './support/checkoutFixtures.ts';
import { uniquePrefix } from './support/databases.ts';
import { PROFILES, postGraphQL } from './support/gateway.ts';
import { deleteKeys, TEST_REDIS_URL, uniqueKeyPrefix } from './support/redis.ts';
import { startSubgraphs, type SubgraphFleet } from './support/subgraphs.ts';
import { Redis } from 'ioredis';

type ReadableSpan = tracing.ReadableSpan;

const prefix = uniquePrefix('tracing');
const keyPrefix = uniqueKeyPrefix('tracing');
// Timeouts far above what a busy machine needs, one attempt per call: the trace has one span per call.
const patientPolicy = JSON.stringify({
  timeoutMs: 20_000,
  budgetMs: 40_000,
  retry: { maxAttempts: 1 },
  health: { timeoutMs: 10_000, unhealthyThreshold: 100 },
});
const redisEnv = { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: keyPrefix, SUBGRAPH_POLICY: patientPolicy };
const exporter = new tracing.InMemorySpanExporter();

let tracingHandle: TracingHandle | null;
let fleet: SubgraphFleet;
let gateway: RunningGateway;
let fixtures: CheckoutFixtures;

beforeAll(async () => {
  tracingHandle = await startTracing('bff-test', { spanProcessors: [new tracing.SimpleSpanProcessor(exporter)] });
  fleet = await startSubgraphs(prefix, {
    workers: true,
    env: { ...redisEnv, EVENTS_BLOCK_MS: '100', EVENTS_RELAY_POLL_MS: '20' },
  });
  const env = { ...redisEnv, ...Object.fromEntries(SUBGRAPH_NAMES.map((s) => [urlVariable(s), fleet.urls[s]])) };
  gateway = await startGateway(
    { ...gatewayConfigFromEnv(PROFILES.web, env), port: 0, auth: testGatewayAuth() },
    silentLogger(),
  );
  fixtures = await CheckoutFixtures.open(prefix);
}, 400_000);

afterAll(async () => {
  await gateway?.close();
  await fixtures?.close();
  await fleet?.close();
  await tracingHandle?.shutdown();
  const redis = new Redis(TEST_REDIS_URL);
  await deleteKeys(redis, keyPrefix);
  redis.disconnect();
});

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const CHECKOUT = `mutation Checkout($input: CheckoutInput!, $key: String!) {
  checkout(input: $input, idempotencyKey: $key) { id status }
}`;

const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

/** One line per span, indented under its parent: what the report shows and a failure prints. */
function render(spans: readonly ReadableSpan[]): string {
  const children = new Map<string | undefined, ReadableSpan[]>();
  for (const span of spans) children.set(parentOf(span), [...(children.get(parentOf(span)) ?? []), span]);
  const ids = new Set(spans.map(idOf));
  const lines: string[] = [];
  const walk = (span: ReadableSpan, depth: number) => {
    const service = span.attributes['bff.service'];
    const extra = ['bff.outcome', 'bff.attempts', 'bff.breaker', 'bff.saga.step.outcome']
      .filter((k) => span.attributes[k] !== undefined)
      .map((k) => `${k.replace('bff.', '')}=${String(span.attributes[k])}`);
    lines.push(
      `${'  '.repeat(depth)}${span.name}${service ? ` [${String(service)}]` : ''}${extra.length ? ` (${extra.join(', ')})` : ''}`,
    );
    for (const child of (children.get(idOf(span)) ?? []).sort(
      (a, b) => a.startTime[1] - b.startTime[1] + (a.startTime[0] - b.startTime[0]) * 1e9,
    ))
      walk(child, depth + 1);
  };
  for (const root of spans.filter((s) => !ids.has(parentOf(s) ?? ''))) walk(root, 0);
  return lines.join('\n');
}

/** The chain of span names from `span` up to the trace's root. */
function ancestry(span: ReadableSpan, byId: Map<string, ReadableSpan>): string[] {
  const names: string[] = [];
  for (let at: ReadableSpan | undefined = span; at; at = byId.get(parentOf(at) ?? '')) names.push(at.name);
  return names;
}

describe('tracing', () => {
  it('is off unless the standard OTEL_* variables ask for it', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'console' })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBe(
      false,
    );
    expect(tracingRequested({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })).toBe(false);
  });

  it('records one checkout as one trace across gateway-web, orders, inventory and payments, saga steps included', async () => {
    const buyer = await fixtures.createUser();
    const product = await fixtures.createProduct(5, 1999);
    const headers = await asUser(buyer);
    const added = await postGraphQL(
      gateway.url,
      'mutation($p: ID!) { addToCart(productId: $p, quantity: 1) { itemCount } }',
      { p: product },
      headers,
    );
    expect(added.body.errors).toBeUndefined();
    exporter.reset();

    const placed = await postGraphQL(
      gateway.url,
      CHECKOUT,
      { input: { paymentMethod: CARDS.visa }, key: `trace-${buyer}` },
      { ...headers, traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` },
    );
    expect(placed.body.errors).toBeUndefined();
    const orderId = (placed.body.data as { checkout: { id: string } }).checkout.id;
    const saga = () =>
      fleet.servers.orders.prisma.$queryRawUnsafe<Array<{ state: string }>>(
        'SELECT state::text FROM "Saga" WHERE id = $1::uuid',
        orderId,
      );
    await waitUntil(async () => ((await saga())[0]?.state === 'SUCCEEDED' ? true : undefined), 'the saga to succeed');
    // The saga's last spans end just after its terminal append.
    await waitUntil(
      () => Promise.resolve(exporter.getFinishedSpans().some((s) => s.name === 'saga.run') || undefined),
      'the saga span to end',
    );

    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === CLIENT_TRACE);
    const tree = render(spans);
    const byId = new Map(spans.map((s) => [idOf(s), s]));
    const find = (predicate: (s: ReadableSpan) => boolean, what: string) => {
      const found = spans.filter(predicate);
      expect(found.length, `${what} in\n${tree}`).toBeGreaterThan(0);
      return found;
    };
    const service = (s: ReadableSpan) => s.attributes['bff.service'];

    // The gateway's server span continues the client's trace and names the operation.
    const [root] = find((s) => service(s) === 'gateway-web' && s.name === 'mutation Checkout', 'the gateway operation');
    expect(parentOf(root!)).toBe(CLIENT_SPAN);
    expect(root!.attributes['graphql.operation.name']).toBe('Checkout');
    // Apollo's own: request, plan, execute, fetch; the plan under the request.
    const [plan] = find((s) => s.name === 'gateway.plan', 'the query plan');
    expect(ancestry(plan!, byId)).toContain('mutation Checkout');
    const [fetchOrders] = find((s) => s.name === 'subgraph orders', 'the call to orders');
    expect(fetchOrders!.attributes).toMatchObject({ 'bff.outcome': 'ok', 'bff.attempts': 1, 'bff.breaker': 'closed' });
    expect(ancestry(fetchOrders!, byId)).toEqual(expect.arrayContaining(['gateway.fetch', 'mutation Checkout']));
    // Orders' own server span, a child of that call: joined over HTTP by traceparent.
    const [ordersOperation] = find(
      (s) => service(s) === 'orders' && s.name.startsWith('mutation'),
      "orders' operation",
    );
    expect(parentOf(ordersOperation!)).toBe(idOf(fetchOrders!));
    // Orders' SQL, from Prisma's instrumentation, inside its operation.
    const ordersSql = find(
      (s) => s.name.startsWith('prisma:') && ancestry(s, byId).includes(ordersOperation!.name),
      "orders' Prisma spans",
    );
    expect(ordersSql.some((s) => s.name === 'prisma:client:db_query' || s.name.includes('db_query'))).toBe(true);
    // Redis: the rate limiter's admission and the gateway's cache, from ioredis' instrumentation.
    find(
      (s) => s.attributes['db.system'] === 'redis' && ancestry(s, byId).includes('mutation Checkout'),
      'Redis commands',
    );

    // The saga, in the same trace: its steps call inventory and payments, whose operations run under them.
    const [reserve] = find((s) => s.name === 'saga.step RESERVE_STOCK', 'the reservation step');
    const [charge] = find((s) => s.name === 'saga.step CHARGE_PAYMENT', 'the charge step');
    for (const [step, provider] of [
      [reserve!, 'inventory'],
      [charge!, 'payments'],
    ] as const) {
      expect(step.attributes['bff.saga.step.outcome']).toBe('ok');
      expect(ancestry(step, byId)).toEqual(
        expect.arrayContaining(['saga.run', ordersOperation!.name, 'mutation Checkout']),
      );
      const [call] = find(
        (s) => s.name === `subgraph ${provider}` && parentOf(s) === idOf(step),
        `the call to ${provider}`,
      );
      expect(call!.attributes['bff.outcome']).toBe('ok');
      const [operation] = find(
        (s) => service(s) === provider && parentOf(s) === idOf(call!),
        `${provider}'s operation`,
      );
      expect(operation!.name).toMatch(/^mutation OrdersSaga/);
      const under = (s: ReadableSpan) => {
        for (let at = byId.get(parentOf(s) ?? ''); at; at = byId.get(parentOf(at) ?? ''))
          if (at === operation) return true;
        return false;
      };
      find((s) => s.name === 'prisma:client:db_query' && under(s), `${provider}'s SQL`);
    }
    find(
      (s) => s.name === 'saga.step CONFIRM_ORDER' || s.name === 'saga.step COMMIT_STOCK',
      'the steps after the charge',
    );
    // Nothing of the checkout escaped into another trace.
    const otherTraces = exporter
      .getFinishedSpans()
      .filter((s) => s.spanContext().traceId !== CLIENT_TRACE && String(s.name).startsWith('saga.'));
    expect(otherTraces.map((s) => s.name)).toEqual([]);
  }, 180_000);
});
