import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { appendToOutbox, createEvent } from '../../../../lib/events/index.ts';
import { Bulkhead } from '../../../../lib/transport/bulkhead.ts';
import { fullJitterDelay } from '../../../../lib/transport/retry.ts';
import { inSpan, type Logger } from '../../../../lib/observability/index.ts';
import type { SagaMetrics } from '../../../../lib/observability/metrics/sagas.ts';
import type { SagaBoundary, SagaConfig } from '../config.ts';
import { TX_OPTIONS, type OrdersPrisma, type OrdersTx } from '../db.ts';
import { appendToStream, readStream, StreamConflict } from '../eventStore/eventStore.ts';
import { orderEvent, type NewOrderEvent, type StepName, type StoredOrderEvent } from '../eventStore/events.ts';
import { fold, isTerminal, type StreamView } from '../readModel/fold.ts';
import { projectChange } from '../readModel/project.ts';
import { decide, isBoundedByDeadline } from './decide.ts';
import { LeaseLost, releaseLeases, renewLease, renewLeases, takeLease } from './lease.ts';
import type { PaymentCard, Providers } from './providers.ts';
import { performStep, type StepOutcome } from './steps.ts';

export interface SagaRunnerDeps {
  prisma: OrdersPrisma;
  providers: Providers;
  config: SagaConfig;
  logger: Logger;
  /** Names this runner in leases and logs: a replica runs two, its requests' and its recovery worker's. */
  name: string;
  /** Saga counters and durations; null: not measured (tools, some tests). */
  metrics?: SagaMetrics | null;
}

/**
 * terminal: the saga is finished; busy: another runner (or this one) drives it; lost: its lease
 * went to another runner meanwhile; stopped: this runner is shutting down and left it for others.
 */
export type DriveResult = 'terminal' | 'busy' | 'lost' | 'stopped';

export interface DriveOptions {
  /** The buyer's card, held in memory only: without it a checkout cannot charge and compensates. */
  card?: PaymentCard | null;
  /** The lease was taken already (in the transaction that placed the order or asked the cancellation). */
  leased?: boolean;
  /** A step whose start that transaction recorded: its first attempt is not recorded twice. */
  announced?: StepName | null;
  /** The stream as that transaction left it, sparing a read of what was just written. */
  view?: StreamView;
  /**
   * Told each step's outcome as its provider answered (before it is recorded): checkout waits on the
   * reservation's this way, to refuse a sold-out order in its response while the saga goes on alone.
   */
  onStep?: (step: StepName, outcome: StepOutcome) => void;
}

/** Conflicting appends in a row before a runner gives a saga up (to the recovery worker). */
const MAX_CONFLICTS = 5;

/** The events `pending` would be once appended after `view`: the runner decides on that preview. */
function asStored(view: StreamView, pending: readonly NewOrderEvent[]): StoredOrderEvent[] {
  return pending.map((event, i) => ({ ...event, streamId: view.streamId, version: view.version + i + 1 }));
}

/**
 * Drives sagas to a terminal state, one step at a time, recording every step in the saga's stream
 * before and after it runs (an append is also the projection and, at the pivot, the outbox event,
 * all in one transaction). A saga is driven only under its lease: taken once, renewed by every
 * append and by a heartbeat while a step runs, so two runners never drive one saga at once. A runner
 * that lost its lease finds out at its next append (nothing of it is written) and stops.
 */
export class SagaRunner {
  readonly owner: string;
  readonly #deps: SagaRunnerDeps;
  readonly #active = new Map<string, Promise<DriveResult>>();
  /** Leases this runner holds: renewed by the heartbeat, released when it stops. */
  readonly #leased = new Set<string>();
  readonly #slots: Bulkhead;
  readonly #stop = new AbortController();
  readonly #heartbeat: NodeJS.Timeout;

  constructor(deps: SagaRunnerDeps) {
    this.#deps = deps;
    this.owner = `${deps.name}@${hostname()}:${process.pid}:${randomUUID()}`;
    this.#slots = new Bulkhead(deps.config.maxConcurrentSagas, Number.POSITIVE_INFINITY);
    this.#heartbeat = setInterval(() => void this.#renewAll(), Math.max(50, Math.floor(deps.config.leaseMs / 3)));
    this.#heartbeat.unref();
  }

  get metrics(): SagaMetrics | null {
    return this.#deps.metrics ?? null;
  }

  /** Sagas this runner is driving or about to drive. */
  get activeCount(): number {
    return this.#active.size;
  }

  get stopping(): boolean {
    return this.#stop.signal.aborted;
  }

  /** Drives a saga in the background (a request does not wait for it); the outcome is logged. */
  launch(sagaId: string, options: DriveOptions = {}): void {
    void this.drive(sagaId, options);
  }

  /** Drives a saga until it is terminal, this runner stops, or another runner has it. Never throws. */
  drive(sagaId: string, options: DriveOptions = {}): Promise<DriveResult> {
    if (this.stopping) return Promise.resolve('stopped');
    const existing = this.#active.get(sagaId);
    if (existing) return existing.then(() => 'busy');
    const run = (async (): Promise<DriveResult> => {
      try {
        if (!options.leased && !(await takeLease(this.#deps.prisma, sagaId, this.owner, this.#deps.config.leaseMs)))
          return 'busy';
        this.#leased.add(sagaId);
        const result = await this.#slots.run(() =>
          inSpan('saga.run', { 'bff.saga.id': sagaId }, () => this.#run(sagaId, options)),
        );
        if (result !== 'stopped') this.#leased.delete(sagaId);
        return result;
      } catch (error) {
        this.#leased.delete(sagaId);
        if (error instanceof LeaseLost) {
          this.#deps.logger.warn({ sagaId }, 'saga lease lost to another runner');
          return 'lost';
        }
        // A database outage or a bug: the lease runs out and a recovery worker takes the saga again.
        this.#deps.logger.error({ err: error, sagaId }, 'saga runner failed; leaving the saga to recovery');
        return 'lost';
      } finally {
        this.#active.delete(sagaId);
      }
    })();
    this.#active.set(sagaId, run);
    return run;
  }

  /**
   * Stops taking steps: sleeping sagas wake and stop, running steps finish their current call, then
   * the leases of unfinished sagas are given back so another replica can go on at once.
   */
  async stop(): Promise<void> {
    if (!this.stopping) this.#stop.abort();
    clearInterval(this.#heartbeat);
    await Promise.allSettled([...this.#active.values()]);
    const left = [...this.#leased];
    this.#leased.clear();
    await releaseLeases(this.#deps.prisma, left, this.owner).catch((error: unknown) =>
      this.#deps.logger.warn({ err: error }, 'could not release saga leases'),
    );
  }

  async #renewAll(): Promise<void> {
    try {
      await renewLeases(this.#deps.prisma, [...this.#leased], this.owner, this.#deps.config.leaseMs);
    } catch (error) {
      this.#deps.logger.warn({ err: error }, 'saga lease heartbeat failed');
    }
  }

  /** The chaos knob (SagaConfig.faultKillAt): dies here, as a crash would, leaving the rest to recovery. */
  #checkpoint(boundary: SagaBoundary): void {
    if (this.#deps.config.faultKillAt === boundary) process.kill(process.pid, 'SIGKILL');
  }

  async #pause(ms: number): Promise<void> {
    if (ms <= 0) return;
    try {
      await sleep(ms, undefined, { signal: this.#stop.signal });
    } catch {
      // stopped: the loop sees it
    }
  }

  async #run(sagaId: string, options: DriveOptions): Promise<DriveResult> {
    const { prisma, providers, config, logger } = this.#deps;
    const card = options.card ?? null;
    let view = options.view ?? fold(sagaId, await readStream(prisma, sagaId));
    let pending: NewOrderEvent[] = [];
    let announced = options.announced ?? null;
    let conflicts = 0;
    for (;;) {
      if (this.stopping) return 'stopped';
      const preview = fold(sagaId, asStored(view, pending), view);
      const saga = preview.saga;
      const action = decide(preview, { now: Date.now(), canCharge: card !== null });
      try {
        switch (action.type) {
          case 'done':
            if (pending.length > 0 || !saga || !isTerminal(saga))
              throw new Error(`Saga ${sagaId} is done with events still to record`);
            // Finished by another runner between our look and our lease: give the lease back.
            await releaseLeases(prisma, [sagaId], this.owner);
            return 'terminal';
          case 'compensate':
            if (action.failStep)
              pending.push(
                orderEvent('SagaStepFailed', {
                  step: action.failStep,
                  error: action.reason,
                  final: true,
                  effect: 'unknown',
                }),
              );
            pending.push(orderEvent('SagaCompensationStarted', { reason: action.reason }));
            logger.info({ sagaId, reason: action.reason }, 'saga compensating');
            continue;
          case 'confirm':
            view = await this.#commit(
              view,
              [
                ...pending,
                orderEvent('OrderConfirmed', {}),
                orderEvent('SagaStepStarted', { step: 'COMMIT_STOCK', attempt: 1 }),
              ],
              (tx, next) => appendToOutbox(tx, orderConfirmedEvent(next)),
            );
            pending = [];
            announced = 'COMMIT_STOCK';
            continue;
          case 'finish':
            view = await this.#finish(view, pending);
            pending = [];
            if (view.saga)
              this.metrics?.finished(
                view.saga.kind,
                view.saga.state,
                (Date.now() - view.saga.createdAt.getTime()) / 1000,
              );
            logger.info(
              { sagaId, kind: view.saga?.kind, state: view.saga?.state, reason: view.saga?.reason },
              'saga finished',
            );
            return 'terminal';
          case 'call': {
            const { step } = action;
            const attempts = saga?.steps.find((s) => s.name === step)?.attempts ?? 0;
            if (announced !== step) pending.push(orderEvent('SagaStepStarted', { step, attempt: attempts + 1 }));
            if (pending.length) view = await this.#commit(view, pending);
            pending = [];
            announced = null;
            this.#checkpoint(`before:${step}`);
            const outcome = await inSpan(`saga.step ${step}`, { 'bff.saga.step': step }, async (span) => {
              const result = await performStep(view, step, providers, card);
              span?.setAttribute('bff.saga.step.outcome', result.kind);
              return result;
            });
            options.onStep?.(step, outcome);
            if (outcome.kind === 'ok') {
              this.#checkpoint(`after:${step}`);
              pending.push(orderEvent('SagaStepSucceeded', { step, detail: outcome.detail }));
            } else if (outcome.kind === 'refused' && isBoundedByDeadline(step)) {
              pending.push(
                orderEvent('SagaStepFailed', { step, error: outcome.error, final: true, effect: outcome.effect }),
              );
            } else {
              // Transient, or a refusal past the pivot or while compensating, where the only way is forward.
              if (outcome.kind === 'refused')
                logger.error(
                  { sagaId, step, error: outcome.error },
                  'saga step refused where it cannot be given up; retrying',
                );
              pending.push(
                orderEvent('SagaStepFailed', { step, error: outcome.error, final: false, effect: 'unknown' }),
              );
              const retryNumber = Math.max(1, view.saga?.steps.find((s) => s.name === step)?.attempts ?? 1);
              let delay = fullJitterDelay(retryNumber, {
                maxAttempts: Number.POSITIVE_INFINITY,
                baseDelayMs: config.retryBaseMs,
                maxDelayMs: config.retryMaxMs,
              });
              const deadline = view.saga?.deadline?.getTime();
              if (isBoundedByDeadline(step) && view.saga?.state === 'RUNNING' && deadline !== undefined)
                delay = Math.min(delay, deadline - Date.now());
              await this.#pause(delay);
            }
            continue;
          }
        }
      } catch (error) {
        if (!(error instanceof StreamConflict) || ++conflicts > MAX_CONFLICTS) throw error;
        // Someone appended meanwhile (a stream this saga writes besides its own): decide again from the log.
        view = fold(sagaId, await readStream(prisma, sagaId));
        pending = [];
        announced = null;
      }
    }
  }

  /**
   * One transaction: the lease is renewed (LeaseLost if it is no longer ours), the events appended
   * at the expected version, the read model brought up to date, and `extra` run (outbox events,
   * another stream); a saga that became terminal gives its lease back.
   */
  async #commit(
    view: StreamView,
    events: NewOrderEvent[],
    extra?: (tx: OrdersTx, next: StreamView) => Promise<void>,
  ): Promise<StreamView> {
    const { prisma, config } = this.#deps;
    const sagaId = view.streamId;
    return prisma.$transaction(async (tx) => {
      if (!(await renewLease(tx, sagaId, this.owner, config.leaseMs))) throw new LeaseLost(sagaId);
      const stored = await appendToStream(tx, sagaId, view.version, events);
      const next = fold(sagaId, stored, view);
      await projectChange(tx, view, next);
      if (extra) await extra(tx, next);
      if (next.saga && isTerminal(next.saga)) await tx.sagaLease.deleteMany({ where: { sagaId, owner: this.owner } });
      return next;
    }, TX_OPTIONS);
  }

  /** The terminal events: a checkout succeeded or failed; a cancellation also cancels the order, on the order's stream. */
  async #finish(view: StreamView, pending: NewOrderEvent[]): Promise<StreamView> {
    const saga = view.saga;
    if (!saga) throw new Error(`Stream ${view.streamId} has no saga`);
    const preview = fold(view.streamId, asStored(view, pending), view);
    if (saga.kind === 'CHECKOUT') {
      const compensated = preview.saga?.state === 'COMPENSATING';
      const reason = preview.saga?.reason ?? 'checkout failed';
      if (!compensated) return this.#commit(view, [...pending, orderEvent('SagaCompleted', { outcome: 'SUCCEEDED' })]);
      const failed = [
        ...pending,
        orderEvent('OrderFailed', { reason }),
        orderEvent('SagaCompleted', { outcome: 'COMPENSATED' }),
      ];
      // Nothing else tells caches that a PENDING order failed: order.failed does (published like order.confirmed).
      return this.#commit(view, failed, async (tx) => appendToOutbox(tx, orderFailedEvent(view, reason)));
    }
    const orderView = fold(saga.orderId, await readStream(this.#deps.prisma, saga.orderId));
    const reason = saga.reason ?? 'cancelled by the customer';
    return this.#commit(view, [...pending, orderEvent('SagaCompleted', { outcome: 'SUCCEEDED' })], async (tx) => {
      const stored = await appendToStream(tx, saga.orderId, orderView.version, [
        orderEvent('OrderCancelled', { reason, cancellationId: saga.id }),
      ]);
      const cancelled = fold(saga.orderId, stored, orderView);
      await projectChange(tx, orderView, cancelled);
      await appendToOutbox(tx, orderCancelledEvent(cancelled, reason));
    });
  }
}

function orderConfirmedEvent(view: StreamView) {
  const order = view.order;
  if (!order) throw new Error(`Stream ${view.streamId} has no order`);
  return createEvent(
    'order.confirmed',
    {
      orderId: order.id,
      userId: order.userId,
      items: view.items.map(({ productId, quantity, unitPriceCents }) => ({ productId, quantity, unitPriceCents })),
      totalCents: order.totalCents,
      currency: order.currency,
      confirmedAt: order.updatedAt.toISOString(),
    },
    { source: 'orders', occurredAt: order.updatedAt },
  );
}

function orderFailedEvent(view: StreamView, reason: string) {
  const order = view.order;
  if (!order) throw new Error(`Stream ${view.streamId} has no order`);
  const failedAt = new Date();
  return createEvent(
    'order.failed',
    { orderId: order.id, userId: order.userId, reason, failedAt: failedAt.toISOString() },
    { source: 'orders', occurredAt: failedAt },
  );
}

function orderCancelledEvent(view: StreamView, reason: string) {
  const order = view.order;
  if (!order) throw new Error(`Stream ${view.streamId} has no order`);
  return createEvent(
    'order.cancelled',
    {
      orderId: order.id,
      userId: order.userId,
      reason,
      items: view.items.map(({ productId, quantity }) => ({ productId, quantity })),
      cancelledAt: order.updatedAt.toISOString(),
    },
    { source: 'orders', occurredAt: order.updatedAt },
  );
}
