import type { ApolloServerPlugin, BaseContext, GraphQLRequestContextWillSendResponse } from '@apollo/server';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { ServiceMetrics } from './registry.ts';
import { errorCodeLabel, LATENCY_BUCKETS, operationTypeOf, responseErrors } from './labels.ts';

/** Breaker, bulkhead and instance figures per subgraph, as `SubgraphUpstreams.stats()` gives them. */
export interface UpstreamFigures {
  breaker: { state: string; opened: number; halfOpened: number; closed: number; rejected: number };
  bulkhead: { active: number; queued: number; rejected: number };
  instances: ReadonlyArray<{ healthy: boolean; ejected: boolean }>;
}

/** Cache counters per layer, as `RunningGateway.cacheStats()` gives them. */
export interface CacheFigures {
  response: { hits: number; misses: number; errors: number; writes: number };
  entity: { hits: number; misses: number; errors: number; writes: number; stale: number };
  apq: { hits: number; misses: number; errors: number };
  invalidation: { mutations: number; events: number; entries: number; errors: number };
}

/** One subgraph call as the transport saw it: every attempt, retries and the wait in the bulkhead included. */
export interface SubgraphCallRecord {
  subgraph: string;
  seconds: number;
  /** `ok`, or why it failed: a failure reason (`timeout`...) or a fast refusal (`circuit_open`...). */
  outcome: string;
  attempts: number;
}

export interface GatewayMetricsSources {
  /** web | mobile: the client the gateway serves. */
  client: string;
  /** Operation names shown as they are; any other named operation is `other`, an unnamed one `anonymous`. */
  registeredOperations: ReadonlySet<string>;
  upstreams: () => Record<string, UpstreamFigures>;
  cache: () => CacheFigures | null;
  /** Commands sent to Redis (one round trip each) by the gateway's connections. */
  redisRoundTrips: () => number;
}

export interface GatewayMetrics {
  plugin: ApolloServerPlugin<BaseContext>;
  /** Called by the transport once per subgraph call (a cheap observe: no label lookups beyond two). */
  recordSubgraphCall(record: SubgraphCallRecord): void;
  /** A query answered from the response cache before Apollo's pipeline: counted as the plugin counts a hit. */
  recordFastHit(hit: FastHitRecord): void;
  /** A request answered without Apollo's pipeline (lib/gateway/knownOperations.ts): counted as the plugin counts it. */
  recordRequest(request: RequestRecord, started: number): void;
}

/** What the request figures read of one answered request: Apollo's request context, or the same fields of a lean path's. */
export type RequestRecord = Pick<
  GraphQLRequestContextWillSendResponse<BaseContext>,
  'request' | 'response' | 'operation' | 'contextValue'
>;

/** What the response cache's fast path tells the metrics about one answered query. */
export interface FastHitRecord {
  operationName: string | null;
  /** Since the request reached the gateway's GraphQL handling. */
  seconds: number;
  /** A budget was spent (rate limits on). */
  admitted: boolean;
  /** Asked for by a persisted id (an APQ hash or the manifest's id). */
  persisted: boolean;
}

const BREAKER_STATES = ['closed', 'open', 'halfOpen'] as const;

/** What the plugin reads of a gateway request's rate limiting (`GatewayContext.rateLimit`), besides the response. */
interface RateLimitView {
  rateLimit?: { status?: { cost: number }; fields?: Record<string, unknown> };
}

/**
 * The gateway's metric families. Request figures come from one Apollo plugin (one label lookup and
 * one histogram observation per request); breaker, bulkhead, instance, cache and Redis figures are
 * read from the counters those parts keep anyway, when Prometheus scrapes.
 */
export function createGatewayMetrics(metrics: ServiceMetrics, sources: GatewayMetricsSources): GatewayMetrics {
  const registers = [metrics.registry];
  const requests = new Counter({
    name: 'bff_gateway_requests_total',
    help: 'GraphQL requests by operation (registered names; others `other`, unnamed `anonymous`), client and outcome (success, partial, error)',
    labelNames: ['operation', 'operation_type', 'client', 'outcome'],
    registers,
  });
  const duration = new Histogram({
    name: 'bff_gateway_request_duration_seconds',
    help: 'Time from the request reaching Apollo to its response, by operation',
    labelNames: ['operation', 'operation_type', 'client'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const errors = new Counter({
    name: 'bff_gateway_errors_total',
    help: 'Errors in responses by extensions.code (codes outside the catalogue are OTHER)',
    labelNames: ['code'],
    registers,
  });
  const rateLimit = new Counter({
    name: 'bff_gateway_rate_limit_decisions_total',
    help: 'Rate-limit decisions: admitted, or refused by reason (query or mutation budget, a field budget, budgets unavailable for a fail-closed field)',
    labelNames: ['decision', 'reason'],
    registers,
  });
  const apq = new Counter({
    name: 'bff_gateway_apq_total',
    help: 'Automatic persisted query lookups: hit (hash known), miss (PERSISTED_QUERY_NOT_FOUND), registered (hash sent with its query)',
    labelNames: ['result'],
    registers,
  });
  const fetchDuration = new Histogram({
    name: 'bff_gateway_subgraph_fetch_duration_seconds',
    help: 'Subgraph calls (one plan fetch: bulkhead wait, breaker and every retry) by subgraph and outcome',
    labelNames: ['subgraph', 'outcome'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const fetchErrors = new Counter({
    name: 'bff_gateway_subgraph_fetch_errors_total',
    help: 'Subgraph calls that produced no answer, by subgraph and reason (timeout, unreachable, http_error, bad_response, circuit_open, bulkhead_full, queue_timeout, no_healthy_instance)',
    labelNames: ['subgraph', 'reason'],
    registers,
  });
  const fetchRetries = new Counter({
    name: 'bff_gateway_subgraph_fetch_retries_total',
    help: 'Attempts beyond the first of subgraph calls, by subgraph',
    labelNames: ['subgraph'],
    registers,
  });

  const upstreamGauge = (name: string, help: string, read: (f: UpstreamFigures) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['subgraph'],
      registers,
      collect() {
        this.reset();
        for (const [subgraph, figures] of Object.entries(sources.upstreams())) this.set({ subgraph }, read(figures));
      },
    });
  const upstreamCounter = (name: string, help: string, read: (f: UpstreamFigures) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['subgraph'],
      registers,
      collect() {
        this.reset();
        for (const [subgraph, figures] of Object.entries(sources.upstreams())) this.inc({ subgraph }, read(figures));
      },
    });
  new Gauge({
    name: 'bff_gateway_breaker_state',
    help: 'Circuit breaker state per subgraph: 1 for the current state (closed, open, halfOpen), 0 for the others',
    labelNames: ['subgraph', 'state'],
    registers,
    collect() {
      this.reset();
      for (const [subgraph, { breaker }] of Object.entries(sources.upstreams()))
        for (const state of BREAKER_STATES) this.set({ subgraph, state }, breaker.state === state ? 1 : 0);
    },
  });
  new Counter({
    name: 'bff_gateway_breaker_transitions_total',
    help: 'Circuit breaker transitions per subgraph, by the state entered',
    labelNames: ['subgraph', 'to'],
    registers,
    collect() {
      this.reset();
      for (const [subgraph, { breaker }] of Object.entries(sources.upstreams())) {
        this.inc({ subgraph, to: 'open' }, breaker.opened);
        this.inc({ subgraph, to: 'halfOpen' }, breaker.halfOpened);
        this.inc({ subgraph, to: 'closed' }, breaker.closed);
      }
    },
  });
  upstreamCounter(
    'bff_gateway_breaker_rejections_total',
    'Calls refused at once because the subgraph circuit was open',
    (f) => f.breaker.rejected,
  );
  upstreamGauge('bff_gateway_bulkhead_in_flight', 'Calls to the subgraph running now', (f) => f.bulkhead.active);
  upstreamGauge('bff_gateway_bulkhead_queued', 'Calls waiting for a bulkhead slot', (f) => f.bulkhead.queued);
  upstreamCounter(
    'bff_gateway_bulkhead_rejections_total',
    'Calls refused by the bulkhead (queue full, or the budget ran out while queued)',
    (f) => f.bulkhead.rejected,
  );
  upstreamGauge(
    'bff_gateway_subgraph_healthy_instances',
    'Instances of the subgraph in rotation (healthy and not ejected)',
    (f) => f.instances.filter((i) => i.healthy && !i.ejected).length,
  );
  upstreamGauge('bff_gateway_subgraph_instances', 'Instances of the subgraph configured', (f) => f.instances.length);

  new Counter({
    name: 'bff_gateway_cache_lookups_total',
    help: 'Cache lookups per layer (response, entity, apq) by result (hit, miss, error: the cache was skipped)',
    labelNames: ['layer', 'result'],
    registers,
    collect() {
      this.reset();
      const stats = sources.cache();
      if (!stats) return;
      for (const layer of ['response', 'entity', 'apq'] as const) {
        this.inc({ layer, result: 'hit' }, stats[layer].hits);
        this.inc({ layer, result: 'miss' }, stats[layer].misses);
        this.inc({ layer, result: 'error' }, stats[layer].errors);
      }
    },
  });
  new Counter({
    name: 'bff_gateway_cache_writes_total',
    help: 'Entries written per cache layer (entity: also stale copies served when the subgraph failed)',
    labelNames: ['layer', 'kind'],
    registers,
    collect() {
      this.reset();
      const stats = sources.cache();
      if (!stats) return;
      this.inc({ layer: 'response', kind: 'write' }, stats.response.writes);
      this.inc({ layer: 'entity', kind: 'write' }, stats.entity.writes);
      this.inc({ layer: 'entity', kind: 'stale_served' }, stats.entity.stale);
    },
  });
  new Counter({
    name: 'bff_gateway_cache_invalidations_total',
    help: 'Cache invalidations by source (mutation, event); `entries` counts the entries they dropped, `errors` the failed ones',
    labelNames: ['source'],
    registers,
    collect() {
      this.reset();
      const stats = sources.cache();
      if (!stats) return;
      this.inc({ source: 'mutation' }, stats.invalidation.mutations);
      this.inc({ source: 'event' }, stats.invalidation.events);
      this.inc({ source: 'entries' }, stats.invalidation.entries);
      this.inc({ source: 'errors' }, stats.invalidation.errors);
    },
  });
  new Counter({
    name: 'bff_gateway_redis_round_trips_total',
    help: 'Commands the gateway sent to Redis (caches, APQ, rate limits, invalidation), each one round trip',
    registers,
    collect() {
      this.reset();
      this.inc(sources.redisRoundTrips());
    },
  });

  const { client, registeredOperations } = sources;
  const operationLabel = (name: string | null | undefined) =>
    !name ? 'anonymous' : registeredOperations.has(name) ? name : 'other';

  // The fast path's series, bound once per operation label: prom-client hashes a labels object on
  // every call, a measurable share of a cache hit's few microseconds. Labels are bounded (registered
  // operations, 'other', 'anonymous'), so is this map.
  const fastHitBound = new Map<string, { requests: Counter.Internal; duration: Histogram.Internal<string> }>();
  const fastHitSeries = (operation: string) => {
    let series = fastHitBound.get(operation);
    if (!series) {
      const labels = { operation, operation_type: 'query', client };
      series = { requests: requests.labels({ ...labels, outcome: 'success' }), duration: duration.labels(labels) };
      fastHitBound.set(operation, series);
    }
    return series;
  };
  const admittedQuery = rateLimit.labels({ decision: 'admitted', reason: 'query' });
  const apqHit = apq.labels({ result: 'hit' });

  const record = (requestContext: RequestRecord, started: number) => {
    const { request, response, operation } = requestContext;
    const operationName = operation?.name?.value ?? request.operationName;
    const operationType = operationTypeOf(operation?.operation);
    const found = responseErrors(response);
    const hasData = response.body.kind === 'single' && response.body.singleResult.data != null;
    const outcome = found.length === 0 ? 'success' : hasData ? 'partial' : 'error';
    const labels = { operation: operationLabel(operationName), operation_type: operationType, client };
    requests.inc({ ...labels, outcome });
    duration.observe(labels, (performance.now() - started) / 1000);
    let refusal: string | null = null;
    for (const error of found) {
      const code = errorCodeLabel(error.extensions?.code);
      errors.inc({ code });
      if (code === 'RATE_LIMITED')
        refusal =
          typeof error.extensions?.field === 'string' ? 'field' : operationType === 'mutation' ? 'mutation' : 'query';
      else if (code === 'SERVICE_UNAVAILABLE' && !error.path && operation) refusal ??= 'unavailable';
      else if (code === 'PERSISTED_QUERY_NOT_FOUND') apq.inc({ result: 'miss' });
    }
    const view = requestContext.contextValue as RateLimitView;
    if (refusal) rateLimit.inc({ decision: 'refused', reason: refusal });
    else if ((view.rateLimit?.status?.cost ?? 0) > 0 || Object.keys(view.rateLimit?.fields ?? {}).length > 0)
      rateLimit.inc({ decision: 'admitted', reason: operationType });
    const persisted: unknown = request.extensions?.persistedQuery;
    if (
      persisted &&
      typeof persisted === 'object' &&
      !found.some((e) => e.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND')
    )
      apq.inc({ result: request.query ? 'registered' : 'hit' });
  };

  return {
    plugin: {
      requestDidStart() {
        const started = performance.now();
        return Promise.resolve({
          willSendResponse(requestContext) {
            record(requestContext, started);
            return Promise.resolve();
          },
        });
      },
    },
    recordRequest: record,
    recordFastHit({ operationName, seconds, admitted, persisted }) {
      const series = fastHitSeries(operationLabel(operationName));
      series.requests.inc();
      series.duration.observe(seconds);
      if (admitted) admittedQuery.inc();
      if (persisted) apqHit.inc();
    },
    recordSubgraphCall({ subgraph, seconds, outcome, attempts }) {
      fetchDuration.observe({ subgraph, outcome }, seconds);
      if (outcome !== 'ok') fetchErrors.inc({ subgraph, reason: outcome });
      if (attempts > 1) fetchRetries.inc({ subgraph }, attempts - 1);
    },
  };
}
