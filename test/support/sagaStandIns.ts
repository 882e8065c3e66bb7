// Small stand-ins for inventory's and payments' checkout-saga mutations, built to the agreed interface
// (/work/saga-interfaces.md): the same operations, idempotent by sagaId, REJECTED / DECLINED as data,
// transient failures as errors. They let orders' tests run before the real providers are merged, and
// inject faults (delays, errors, hangs, an answer lost after the effect) the real ones cannot.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, graphql, GraphQLError, type GraphQLSchema } from 'graphql';
import { verifySignedIdentity } from '../../lib/auth/index.ts';
import { TEST_SIGNING } from './auth.ts';

export interface FaultPlan {
  /** Fail the first N calls of each saga, then behave. */
  failFirst?: number;
  /** Fail every call. */
  failAlways?: boolean;
  /** How a failure looks: a GraphQL error with a code (default) or an HTTP 503. */
  as?: 'graphql' | 'http';
  /** Apply the operation, then fail anyway: the effect happened and the answer was lost. */
  effectThenFail?: boolean;
  /** Hold every answer this long. */
  delayMs?: number;
  /** Hold every answer until this settles (a hanging provider). */
  until?: Promise<void>;
}

export interface RecordedCall {
  operation: string;
  sagaId: string;
  userId: string | null;
  client: string;
  /** Whether the caller got a real answer (false: a fault answered instead). */
  answered: boolean;
}

interface CallContext {
  userId: string | null;
  client: string;
}

class TransientFailure extends Error {}

/** One stand-in GraphQL service: signed identities checked, calls recorded, faults injected per operation. */
abstract class StandInService {
  readonly calls: RecordedCall[] = [];
  readonly #faults = new Map<string, FaultPlan>();
  readonly #attempts = new Map<string, number>();
  #server: Server | null = null;
  #url = '';

  protected abstract readonly schema: GraphQLSchema;
  protected abstract readonly transientCode: string;

  constructor(readonly name: string) {}

  get url(): string {
    return this.#url;
  }

  fault(operation: string, plan: FaultPlan | null): void {
    if (plan) this.#faults.set(operation, plan);
    else this.#faults.delete(operation);
  }

  callsOf(operation: string, sagaId?: string): RecordedCall[] {
    return this.calls.filter((c) => c.operation === operation && (sagaId === undefined || c.sagaId === sagaId));
  }

  /** Runs `apply` for a call of `operation`, with this operation's fault plan around it. */
  protected async step<T>(operation: string, sagaId: string, context: CallContext, apply: () => T): Promise<T> {
    const plan = this.#faults.get(operation);
    const key = `${operation}:${sagaId}`;
    const attempt = (this.#attempts.get(key) ?? 0) + 1;
    this.#attempts.set(key, attempt);
    const record: RecordedCall = { operation, sagaId, userId: context.userId, client: context.client, answered: false };
    this.calls.push(record);
    if (plan?.until) await plan.until;
    if (plan?.delayMs) await new Promise((resolve) => setTimeout(resolve, plan.delayMs));
    const failing = plan && (plan.failAlways || attempt <= (plan.failFirst ?? 0));
    if (failing) {
      if (plan.effectThenFail) apply();
      throw plan.as === 'http'
        ? new TransientFailure('http')
        : new GraphQLError(`${this.name} is temporarily unavailable`, { extensions: { code: this.transientCode } });
    }
    const result = apply();
    record.answered = true;
    return result;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    return this.#url;
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/health') return send(200, { status: 'ok' });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const verdict = verifySignedIdentity(req.headers, TEST_SIGNING);
    if (!verdict.ok) return send(401, { errors: [{ message: 'unsigned', extensions: { code: 'UNAUTHENTICATED' } }] });
    if (verdict.identity.client !== 'service')
      return send(200, { errors: [{ message: 'service callers only', extensions: { code: 'FORBIDDEN' } }] });
    const { query, variables } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      query: string;
      variables?: Record<string, unknown>;
    };
    const context: CallContext = { userId: verdict.identity.userId, client: verdict.identity.client };
    const result = await graphql({
      schema: this.schema,
      source: query,
      variableValues: variables,
      rootValue: this.rootValue(),
      contextValue: context,
    });
    if (result.errors?.some((e) => e.originalError instanceof TransientFailure))
      return send(503, { errors: [{ message: 'unavailable' }] });
    send(200, {
      data: result.data ?? null,
      errors: result.errors?.map((e) => ({ message: e.message, extensions: e.extensions })),
    });
  }

  protected abstract rootValue(): Record<string, (args: never, context: CallContext) => unknown>;
}

type HoldStatus = 'HELD' | 'REJECTED' | 'RELEASED' | 'COMMITTED' | 'RETURNED';

interface Hold {
  sagaId: string;
  status: HoldStatus;
  lines: Array<{ productId: string; quantity: number }>;
  shortages: Array<{ productId: string; requested: number; available: number }>;
}

/** inventory: reserveStock / releaseStock / commitStock over in-memory stock levels. */
export class InventoryStandIn extends StandInService {
  readonly stock = new Map<string, { onHand: number; reserved: number }>();
  readonly holds = new Map<string, Hold>();
  /** Units the stock read reports instead of the level (a read that is already stale), by product. */
  readonly advertised = new Map<string, number>();
  protected readonly transientCode = 'SERVICE_UNAVAILABLE';
  protected readonly schema = buildSchema(`
    scalar _Any
    union _Entity = Product
    type Query { health: Boolean _entities(representations: [_Any!]!): [_Entity]! }
    type Product { id: ID! stock: Stock! }
    type Stock { available: Int! }
    type Mutation {
      reserveStock(sagaId: ID!, lines: [StockLineInput!]!): StockHold!
      releaseStock(sagaId: ID!, reason: String!): StockHold!
      commitStock(sagaId: ID!): StockHold!
    }
    input StockLineInput { productId: ID! quantity: Int! }
    enum StockHoldStatus { HELD REJECTED RELEASED COMMITTED RETURNED }
    type StockHold { sagaId: ID! status: StockHoldStatus! lines: [StockHoldLine!]! shortages: [StockShortage!]! }
    type StockHoldLine { productId: ID! quantity: Int! }
    type StockShortage { productId: ID! requested: Int! available: Int! }
  `);

  /** Units of a product nobody set: plenty, so tests name only the products whose stock matters. */
  constructor(readonly defaultOnHand = 1000) {
    super('inventory');
  }

  levelOf(productId: string): { onHand: number; reserved: number } {
    let level = this.stock.get(productId);
    if (!level) {
      level = { onHand: this.defaultOnHand, reserved: 0 };
      this.stock.set(productId, level);
    }
    return level;
  }

  /** Units held by sagas that are neither committed nor released: a leak if their saga is terminal. */
  heldSagas(): string[] {
    return [...this.holds.values()].filter((h) => h.status === 'HELD').map((h) => h.sagaId);
  }

  protected rootValue() {
    return {
      // The stock levels checkout reads before placing an order (a read: not a saga step, never failed on purpose).
      _entities: (args: { representations: Array<{ id: string }> }) =>
        args.representations.map(({ id }) => {
          const level = this.levelOf(id);
          const available = this.advertised.get(id) ?? Math.max(0, level.onHand - level.reserved);
          return { __typename: 'Product', id, stock: { available } };
        }),
      reserveStock: (
        args: { sagaId: string; lines: Array<{ productId: string; quantity: number }> },
        context: CallContext,
      ) => this.step('reserveStock', args.sagaId, context, () => this.#reserve(args.sagaId, args.lines)),
      releaseStock: (args: { sagaId: string }, context: CallContext) =>
        this.step('releaseStock', args.sagaId, context, () => this.#release(args.sagaId)),
      commitStock: (args: { sagaId: string }, context: CallContext) =>
        this.step('commitStock', args.sagaId, context, () => this.#commit(args.sagaId)),
    };
  }

  #reserve(sagaId: string, lines: Array<{ productId: string; quantity: number }>): Hold {
    const existing = this.holds.get(sagaId);
    if (existing) return existing;
    const merged = new Map<string, number>();
    for (const line of lines) merged.set(line.productId, (merged.get(line.productId) ?? 0) + line.quantity);
    const wanted = [...merged].map(([productId, quantity]) => ({ productId, quantity }));
    const shortages = wanted
      .map(({ productId, quantity }) => ({
        productId,
        requested: quantity,
        available: this.levelOf(productId).onHand - this.levelOf(productId).reserved,
      }))
      .filter((s) => s.available < s.requested);
    const hold: Hold = { sagaId, status: shortages.length ? 'REJECTED' : 'HELD', lines: wanted, shortages };
    if (hold.status === 'HELD')
      for (const { productId, quantity } of wanted) this.levelOf(productId).reserved += quantity;
    this.holds.set(sagaId, hold);
    return hold;
  }

  #release(sagaId: string): Hold {
    const hold = this.holds.get(sagaId);
    if (!hold) {
      const tombstone: Hold = { sagaId, status: 'RELEASED', lines: [], shortages: [] };
      this.holds.set(sagaId, tombstone);
      return tombstone;
    }
    if (hold.status === 'HELD') {
      for (const { productId, quantity } of hold.lines) this.levelOf(productId).reserved -= quantity;
      hold.status = 'RELEASED';
    } else if (hold.status === 'COMMITTED') {
      for (const { productId, quantity } of hold.lines) this.levelOf(productId).onHand += quantity;
      hold.status = 'RETURNED';
    }
    return hold;
  }

  #commit(sagaId: string): Hold {
    const hold = this.holds.get(sagaId);
    if (!hold) throw new GraphQLError(`No stock hold for saga ${sagaId}`, { extensions: { code: 'BAD_USER_INPUT' } });
    if (hold.status === 'HELD') {
      for (const { productId, quantity } of hold.lines) {
        const level = this.levelOf(productId);
        level.onHand -= quantity;
        level.reserved -= quantity;
      }
      hold.status = 'COMMITTED';
    }
    return hold;
  }
}

type Outcome = 'CAPTURED' | 'DECLINED' | 'REFUNDED' | 'VOIDED';

interface Charge {
  sagaId: string;
  outcome: Outcome;
  declineCode: string | null;
  amountCents: number;
}

const DECLINES: Record<string, string> = {
  '4000000000000002': 'card_declined',
  '4000000000009995': 'insufficient_funds',
  '4000000000000069': 'expired_card',
  '4000000000000127': 'incorrect_cvc',
};
const ALWAYS_TRANSIENT = '4000000000000119';
const TRANSIENT_TWICE = '4000000000000259';

/** payments: chargePayment / refundPayment with the interface's test cards. */
export class PaymentsStandIn extends StandInService {
  readonly charges = new Map<string, Charge>();
  /** Money actually captured and refunded, per saga: what "charged once" is checked against. */
  readonly captures: string[] = [];
  readonly refunds: string[] = [];
  readonly #processorAttempts = new Map<string, number>();
  protected readonly transientCode = 'PAYMENT_PROCESSOR_UNAVAILABLE';
  protected readonly schema = buildSchema(`
    type Query { health: Boolean }
    type Mutation {
      chargePayment(input: ChargeInput!): ChargeResult!
      refundPayment(sagaId: ID!, reason: String!): ChargeResult!
    }
    input ChargeInput { sagaId: ID! orderId: ID! amountCents: Int! currency: String! card: CardInput! }
    input CardInput { number: String! expMonth: Int! expYear: Int! cvc: String! }
    enum ChargeOutcome { CAPTURED DECLINED REFUNDED VOIDED }
    type ChargeResult { sagaId: ID! outcome: ChargeOutcome! declineCode: String }
  `);

  constructor() {
    super('payments');
  }

  protected rootValue() {
    return {
      chargePayment: (
        args: { input: { sagaId: string; amountCents: number; card: { number: string } } },
        context: CallContext,
      ) =>
        this.step('chargePayment', args.input.sagaId, context, () =>
          this.#charge(args.input.sagaId, args.input.amountCents, args.input.card.number),
        ),
      refundPayment: (args: { sagaId: string }, context: CallContext) =>
        this.step('refundPayment', args.sagaId, context, () => this.#refund(args.sagaId)),
    };
  }

  #charge(sagaId: string, amountCents: number, number: string): Charge {
    const existing = this.charges.get(sagaId);
    if (existing) return existing;
    const attempts = (this.#processorAttempts.get(sagaId) ?? 0) + 1;
    this.#processorAttempts.set(sagaId, attempts);
    if (number === ALWAYS_TRANSIENT || (number === TRANSIENT_TWICE && attempts <= 2)) {
      throw new GraphQLError('The card processor is unavailable', {
        extensions: { code: 'PAYMENT_PROCESSOR_UNAVAILABLE' },
      });
    }
    const declineCode = DECLINES[number] ?? null;
    const charge: Charge = { sagaId, outcome: declineCode ? 'DECLINED' : 'CAPTURED', declineCode, amountCents };
    this.charges.set(sagaId, charge);
    if (charge.outcome === 'CAPTURED') this.captures.push(sagaId);
    return charge;
  }

  #refund(sagaId: string): Charge {
    const charge = this.charges.get(sagaId);
    if (!charge) {
      const tombstone: Charge = { sagaId, outcome: 'VOIDED', declineCode: null, amountCents: 0 };
      this.charges.set(sagaId, tombstone);
      return tombstone;
    }
    if (charge.outcome === 'CAPTURED') {
      charge.outcome = 'REFUNDED';
      this.refunds.push(sagaId);
    }
    return charge;
  }
}

export interface SagaStandIns {
  inventory: InventoryStandIn;
  payments: PaymentsStandIn;
  /** `INVENTORY_URL` and `PAYMENTS_URL` for an orders process or server. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startSagaStandIns(options: { defaultOnHand?: number } = {}): Promise<SagaStandIns> {
  const inventory = new InventoryStandIn(options.defaultOnHand);
  const payments = new PaymentsStandIn();
  await Promise.all([inventory.start(), payments.start()]);
  return {
    inventory,
    payments,
    env: { INVENTORY_URL: inventory.url, PAYMENTS_URL: payments.url },
    close: async () => {
      await Promise.all([inventory.close(), payments.close()]);
    },
  };
}
