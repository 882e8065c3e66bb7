import { Counter, Histogram } from 'prom-client';
import type { ServiceMetrics } from './registry.ts';

/** Saga durations: a checkout takes tens of milliseconds; a compensated one may wait for its deadline. */
const SAGA_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** What orders reports about its sagas; kinds and states are the saga model's enums, so labels stay bounded. */
export interface SagaMetrics {
  started(kind: string): void;
  /** A saga reached a terminal state (`SUCCEEDED`, `COMPENSATED`...) `seconds` after it was created. */
  finished(kind: string, outcome: string, seconds: number): void;
  /** Sagas the recovery worker took over from a runner that stopped or crashed. */
  recovered(count: number): void;
  /** A checkout answered from its idempotency key instead of placing an order again. */
  idempotentReplay(): void;
}

const byRegistry = new WeakMap<ServiceMetrics['registry'], SagaMetrics>();

/**
 * Orders' saga families, once per registry (its HTTP server and its recovery worker each build a
 * runner over the same registry).
 */
export function sagaMetrics(metrics: ServiceMetrics): SagaMetrics {
  const existing = byRegistry.get(metrics.registry);
  if (existing) return existing;
  const registers = [metrics.registry];
  const started = new Counter({
    name: 'bff_orders_sagas_started_total',
    help: 'Sagas started by a request, by kind (CHECKOUT, CANCELLATION)',
    labelNames: ['kind'],
    registers,
  });
  const finished = new Counter({
    name: 'bff_orders_sagas_finished_total',
    help: 'Sagas that reached a terminal state in this process, by kind and outcome (SUCCEEDED, COMPENSATED, FAILED)',
    labelNames: ['kind', 'outcome'],
    registers,
  });
  const duration = new Histogram({
    name: 'bff_orders_saga_duration_seconds',
    help: 'From a saga being created to its terminal state, by kind and outcome',
    labelNames: ['kind', 'outcome'],
    buckets: SAGA_BUCKETS,
    registers,
  });
  const recovered = new Counter({
    name: 'bff_orders_saga_recovery_takeovers_total',
    help: 'Sagas the recovery worker took over (their runner stopped or crashed)',
    registers,
  });
  const replays = new Counter({
    name: 'bff_orders_idempotent_replays_total',
    help: 'Checkouts answered from their idempotency key (a retry or a duplicate) rather than placed again',
    registers,
  });
  const created: SagaMetrics = {
    started: (kind) => started.inc({ kind }),
    finished(kind, outcome, seconds) {
      finished.inc({ kind, outcome });
      duration.observe({ kind, outcome }, Math.max(0, seconds));
    },
    recovered: (count) => recovered.inc(count),
    idempotentReplay: () => replays.inc(),
  };
  byRegistry.set(metrics.registry, created);
  return created;
}
