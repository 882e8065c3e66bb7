import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { Counter, Gauge, Histogram } from 'prom-client';
import { currentRequestScope } from '../requestScope.ts';
import { eventSourceOf, readEventFigures } from './events.ts';
import { errorCodeLabel, LATENCY_BUCKETS, operationTypeOf, responseErrors } from './labels.ts';
import type { ServiceMetrics } from './registry.ts';

/** SQL statements per request: a DataLoader-batched request stays in the first buckets. */
const STATEMENT_BUCKETS = [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89];

interface RawQuerier {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

export interface SubgraphMetricsSources {
  /** The service's Prisma client: SQL for the outbox figures, and the key its event workers register under. */
  db: RawQuerier & object;
  pool: (() => { total: number; idle: number; waiting: number }) | undefined;
}

/** One answered GraphQL request, as the per-request families count it. */
export interface RequestOutcome {
  operationType: string | undefined;
  /** The response's errors, as formatted for the client. */
  errors: readonly GraphQLFormattedError[];
  hasData: boolean;
  /** `performance.now()` when the request reached the GraphQL layer. */
  startedAt: number;
}

export interface SubgraphMetrics {
  /** Counts requests Apollo's pipeline answers. */
  plugin: ApolloServerPlugin<BaseContext>;
  /** Counts a request answered outside Apollo's pipeline (lib/subgraph/leanExecution.ts). */
  observe: (outcome: RequestOutcome) => void;
}

/**
 * A subgraph's metric families. Per request: one counter, one histogram for its duration and one
 * for its SQL statements (counted in the request scope by the Prisma query event). Pool, outbox
 * and event-stream figures are read when Prometheus scrapes (two small SQL statements, two Redis
 * commands per consumed stream).
 */
export function createSubgraphMetrics(metrics: ServiceMetrics, sources: SubgraphMetricsSources): SubgraphMetrics {
  const registers = [metrics.registry];
  const requests = new Counter({
    name: 'bff_subgraph_requests_total',
    help: 'GraphQL requests by operation type and outcome (success, partial, error)',
    labelNames: ['operation_type', 'outcome'],
    registers,
  });
  const duration = new Histogram({
    name: 'bff_subgraph_request_duration_seconds',
    help: 'Time from the request reaching Apollo to its response, by operation type',
    labelNames: ['operation_type'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const errors = new Counter({
    name: 'bff_subgraph_resolver_errors_total',
    help: 'Errors in responses by extensions.code (codes outside the catalogue are OTHER)',
    labelNames: ['code'],
    registers,
  });
  const statements = new Histogram({
    name: 'bff_subgraph_sql_statements_per_request',
    help: 'SQL statements one GraphQL request sent to the database, by operation type',
    labelNames: ['operation_type'],
    buckets: STATEMENT_BUCKETS,
    registers,
  });
  new Gauge({
    name: 'bff_subgraph_db_pool_connections',
    help: 'Database pool connections by state (in_use, idle) and requests waiting for one (waiting); absent on the embedded database',
    labelNames: ['state'],
    registers,
    collect() {
      this.reset();
      const pool = sources.pool?.();
      if (!pool) return;
      this.set({ state: 'in_use' }, pool.total - pool.idle);
      this.set({ state: 'idle' }, pool.idle);
      this.set({ state: 'waiting' }, pool.waiting);
    },
  });

  let outboxRead: Promise<{ backlog: number; lagSeconds: number }> | null = null;
  const readOutbox = () => {
    // One query serves both gauges of a scrape.
    outboxRead ??= sources.db
      .$queryRawUnsafe<Array<{ backlog: number; lag: number | null }>>(
        `SELECT count(*)::int AS backlog,
                COALESCE(EXTRACT(EPOCH FROM (now() - min("occurredAt")))::float8, 0) AS lag
           FROM "OutboxEvent" WHERE "publishedAt" IS NULL`,
      )
      .then((rows) => ({ backlog: Number(rows[0]?.backlog ?? 0), lagSeconds: Math.max(0, Number(rows[0]?.lag ?? 0)) }))
      .finally(() => setImmediate(() => (outboxRead = null)));
    return outboxRead;
  };
  new Gauge({
    name: 'bff_subgraph_outbox_backlog',
    help: 'Outbox events not yet published to the event streams',
    registers,
    async collect() {
      this.set((await readOutbox()).backlog);
    },
  });
  new Gauge({
    name: 'bff_subgraph_outbox_publish_lag_seconds',
    help: 'Age of the oldest outbox event not yet published (0 when none waits)',
    registers,
    async collect() {
      this.set((await readOutbox()).lagSeconds);
    },
  });
  new Gauge({
    name: 'bff_subgraph_event_consumer_lag',
    help: "Entries of each consumed stream not yet delivered to the service's consumer group (Redis Streams only)",
    labelNames: ['stream'],
    registers,
    async collect() {
      this.reset();
      const source = eventSourceOf(sources.db);
      if (!source) return;
      const figures = await readEventFigures(source).catch(() => null);
      for (const [stream, lag] of Object.entries(figures?.lag ?? {})) if (lag !== null) this.set({ stream }, lag);
    },
  });
  new Gauge({
    name: 'bff_subgraph_event_dead_letters',
    help: "Entries in the service's dead-letter stream (Redis Streams only)",
    registers,
    async collect() {
      this.reset();
      const source = eventSourceOf(sources.db);
      if (!source) return;
      this.set(await source.client.xlen(source.deadLetterKey).catch(() => 0));
    },
  });

  const observe = (outcome: RequestOutcome): void => {
    const operationType = operationTypeOf(outcome.operationType);
    const found = outcome.errors;
    requests.inc({
      operation_type: operationType,
      outcome: found.length === 0 ? 'success' : outcome.hasData ? 'partial' : 'error',
    });
    duration.observe({ operation_type: operationType }, (performance.now() - outcome.startedAt) / 1000);
    for (const error of found) errors.inc({ code: errorCodeLabel(error.extensions?.code) });
    const scope = currentRequestScope();
    if (scope) statements.observe({ operation_type: operationType }, scope.sqlStatements);
  };

  return {
    observe,
    plugin: {
      requestDidStart() {
        const startedAt = performance.now();
        return Promise.resolve({
          willSendResponse({ response, operation }) {
            observe({
              operationType: operation?.operation,
              errors: responseErrors(response),
              hasData: response.body.kind === 'single' && response.body.singleResult.data != null,
              startedAt,
            });
            return Promise.resolve();
          },
        });
      },
    },
  };
}
