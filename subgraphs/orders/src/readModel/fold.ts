import type { OrderStatus, SagaKind, SagaState, SagaStepStatus } from '../db.ts';
import type { StepName, StoredOrderEvent } from '../eventStore/events.ts';

export interface OrderView {
  id: string;
  userId: string;
  status: OrderStatus;
  statusReason: string | null;
  totalCents: number;
  currency: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface OrderItemView {
  id: string;
  orderId: string;
  productId: string;
  quantity: number;
  unitPriceCents: number;
  position: number;
}

export interface SagaStepView {
  name: StepName;
  position: number;
  status: SagaStepStatus;
  attempts: number;
  at: Date;
  error: string | null;
  /** Whether a failed step may have changed anything at its provider (not projected: the runner's). */
  effect: 'none' | 'unknown';
}

export interface SagaView {
  id: string;
  orderId: string;
  kind: SagaKind;
  state: SagaState;
  reason: string | null;
  deadline: Date | null;
  createdAt: Date;
  updatedAt: Date;
  steps: SagaStepView[];
}

/**
 * Everything one stream says, folded: the state a saga runner decides from and the rows the read
 * model holds. An order's stream yields the order, its items and its checkout saga; a cancellation
 * stream yields that saga only.
 */
export interface StreamView {
  streamId: string;
  /** The last event's version (0 for an empty stream): the expected version of the next append. */
  version: number;
  /** The buyer: whose identity the saga's service calls carry. */
  userId: string | null;
  order: OrderView | null;
  items: OrderItemView[];
  saga: SagaView | null;
}

export function emptyStream(streamId: string): StreamView {
  return { streamId, version: 0, userId: null, order: null, items: [], saga: null };
}

function touchOrder(view: StreamView, at: Date, change: Partial<OrderView>): StreamView {
  if (!view.order) throw new Error(`Order event before OrderPlaced in stream ${view.streamId}`);
  return { ...view, order: { ...view.order, ...change, updatedAt: at } };
}

function touchSaga(view: StreamView, at: Date, change: (saga: SagaView) => Partial<SagaView>): StreamView {
  if (!view.saga) throw new Error(`Saga event without a saga in stream ${view.streamId}`);
  return { ...view, saga: { ...view.saga, ...change(view.saga), updatedAt: at } };
}

function withStep(
  saga: SagaView,
  name: StepName,
  at: Date,
  change: (step: SagaStepView) => Partial<SagaStepView>,
): Partial<SagaView> {
  const current = saga.steps.find((s) => s.name === name);
  const base: SagaStepView = current ?? {
    name,
    position: saga.steps.length,
    status: 'RUNNING',
    attempts: 0,
    at,
    error: null,
    effect: 'unknown',
  };
  const next = { ...base, ...change(base), at };
  return { steps: current ? saga.steps.map((s) => (s.name === name ? next : s)) : [...saga.steps, next] };
}

/** One event applied to the view; pure, so a live projection and a rebuild give identical rows. */
export function evolve(view: StreamView, event: StoredOrderEvent): StreamView {
  const at = event.occurredAt;
  const next = ((): StreamView => {
    switch (event.type) {
      case 'OrderPlaced': {
        const d = event.data;
        return {
          ...view,
          userId: d.userId,
          order: {
            id: d.orderId,
            userId: d.userId,
            status: 'PENDING',
            statusReason: null,
            totalCents: d.totalCents,
            currency: d.currency,
            createdAt: at,
            updatedAt: at,
          },
          items: d.items.map((item) => ({ ...item, orderId: d.orderId })),
          saga: d.checkout
            ? {
                id: d.orderId,
                orderId: d.orderId,
                kind: 'CHECKOUT',
                state: 'RUNNING',
                reason: null,
                deadline: new Date(d.checkout.deadline),
                createdAt: at,
                updatedAt: at,
                steps: [],
              }
            : null,
        };
      }
      case 'CancellationRequested':
        return {
          ...view,
          userId: event.data.userId,
          // A cancellation's reason is the customer's, given to payments and inventory with its steps.
          saga: {
            id: event.streamId,
            orderId: event.data.orderId,
            kind: 'CANCELLATION',
            state: 'RUNNING',
            reason: event.data.reason,
            deadline: null,
            createdAt: at,
            updatedAt: at,
            steps: [],
          },
        };
      case 'SagaStepStarted': {
        const { step, attempt } = event.data;
        return touchSaga(view, at, (saga) =>
          withStep(saga, step, at, (s) => ({ status: 'RUNNING', attempts: Math.max(s.attempts, attempt) })),
        );
      }
      case 'SagaStepSucceeded':
        return touchSaga(view, at, (saga) =>
          withStep(saga, event.data.step, at, () => ({ status: 'SUCCEEDED', error: null })),
        );
      case 'SagaStepFailed': {
        const { step, error, final, effect } = event.data;
        return touchSaga(view, at, (saga) =>
          withStep(saga, step, at, (s) => ({ status: final ? 'FAILED' : s.status, error, effect })),
        );
      }
      case 'SagaCompensationStarted':
        return touchSaga(view, at, () => ({ state: 'COMPENSATING', reason: event.data.reason }));
      case 'SagaCompleted':
        return touchSaga(view, at, () => ({ state: event.data.outcome }));
      case 'OrderConfirmed':
        return touchOrder(view, at, { status: 'CONFIRMED', statusReason: null });
      case 'OrderFailed':
        return touchOrder(view, at, { status: 'FAILED', statusReason: event.data.reason });
      case 'OrderShipped':
        return touchOrder(view, at, { status: 'SHIPPED' });
      case 'OrderDelivered':
        return touchOrder(view, at, { status: 'DELIVERED' });
      case 'OrderCancelled':
        return touchOrder(view, at, { status: 'CANCELLED', statusReason: event.data.reason });
    }
  })();
  return { ...next, version: event.version };
}

export function fold(
  streamId: string,
  events: readonly StoredOrderEvent[],
  from: StreamView = emptyStream(streamId),
): StreamView {
  return events.reduce(evolve, from);
}

export const TERMINAL_SAGA_STATES: readonly SagaState[] = ['SUCCEEDED', 'COMPENSATED'];

export function isTerminal(saga: SagaView): boolean {
  return TERMINAL_SAGA_STATES.includes(saga.state);
}
