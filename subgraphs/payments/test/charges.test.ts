// The checkout saga's payment steps over HTTP against real Postgres and the simulated processor:
// only service callers, one charge per saga whatever the retries, the test cards' outcomes, transient
// failures that count attempts and capture nothing, refunds through the outbox, the VOIDED tombstone.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../../lib/auth/index.ts';
import { openServiceDatabase, type ServiceDatabase } from '../../../lib/db/index.ts';
import { EVENT_SCHEMAS, processEventBus, type DomainEvent, type RunningConsumer } from '../../../lib/events/index.ts';
import { silentLogger } from '../../../lib/observability/index.ts';
import type { ServicePrisma, StartedSubgraph } from '../../../lib/subgraph/index.ts';
import { gatewaySigned, postToSubgraph, TEST_SIGNING_SECRET } from '../../../test/support/auth.ts';
import { databaseEnv, dropDatabasesWithPrefix, uniquePrefix } from '../../../test/support/databases.ts';
import { waitFor } from '../../../test/support/failures.ts';
import type { GraphQLResponse } from '../../../test/support/gateway.ts';
import { createPrisma, type PaymentsPrisma } from '../src/db.ts';
import { paymentsService } from '../src/service.ts';

const logger = silentLogger();
const prefix = uniquePrefix('charges');
const BUYER = randomUUID();
const PaymentRefunded = EVENT_SCHEMAS['payment.refunded'][1];

/** In-process event delivery: this file's relay must not publish into a shared Redis. */
const env: NodeJS.ProcessEnv = {
  ...databaseEnv(prefix),
  GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET,
  EVENTS_RELAY_POLL_MS: '20',
};
delete env.REDIS_URL;
delete env.REDIS_CLUSTER_NODES;

let server: StartedSubgraph<ServicePrisma>;
/** The same service with a slow processor, so concurrent duplicates surely overlap its call. */
let slow: StartedSubgraph<ServicePrisma>;
/** The same service whose processor always fails transiently. */
let down: StartedSubgraph<ServicePrisma>;
let database: ServiceDatabase;
let prisma: PaymentsPrisma;
let subscriber: RunningConsumer;
const delivered: string[] = [];

beforeAll(async () => {
  server = await paymentsService.start({ env, port: 0, logger, workers: true });
  slow = await paymentsService.start({ env: { ...env, PAYMENTS_PROCESSOR_LATENCY_MS: '300' }, port: 0, logger });
  down = await paymentsService.start({ env: { ...env, PAYMENTS_PROCESSOR_FAILURE_RATE: '1' }, port: 0, logger });
  database = await openServiceDatabase('payments', { env, logger });
  prisma = createPrisma(database.adapter);
  subscriber = processEventBus.subscribe({
    group: 'charges-test',
    delivery: {
      db: prisma,
      handlers: { 'payment.refunded': (event: DomainEvent) => void delivered.push(event.id) },
    },
    maxDeliveries: 1,
    logger,
  });
});

afterAll(async () => {
  await subscriber?.stop();
  await Promise.all([server?.close(), slow?.close(), down?.close()]);
  await prisma?.$disconnect();
  await database?.close();
  await dropDatabasesWithPrefix(prefix);
});

interface ChargeResult {
  sagaId: string;
  outcome: string;
  declineCode: string | null;
  payment: {
    id: string;
    status: string;
    amount: { amountCents: number; currency: string };
    method: { brand: string; last4: string };
    order: { id: string };
  } | null;
}

const RESULT =
  'sagaId outcome declineCode payment { id status amount { amountCents currency } method { brand last4 } order { id } }';
const card = (number: string, overrides: Partial<{ expMonth: number; expYear: number; cvc: string }> = {}) => ({
  number,
  expMonth: 12,
  expYear: 2099,
  cvc: '123',
  ...overrides,
});

interface ChargeOptions {
  sagaId?: string;
  orderId?: string;
  amountCents?: number;
  currency?: string;
  card?: ReturnType<typeof card>;
  client?: Client;
  userId?: string | null;
  via?: StartedSubgraph<ServicePrisma>;
}

function chargeVia(options: ChargeOptions & { sagaId: string }): Promise<GraphQLResponse> {
  const input = {
    sagaId: options.sagaId,
    orderId: options.orderId ?? options.sagaId,
    amountCents: options.amountCents ?? 2599,
    currency: options.currency ?? 'USD',
    card: options.card ?? card('4242424242424242'),
  };
  const identity = {
    userId: options.userId === undefined ? BUYER : options.userId,
    client: options.client ?? 'service',
  };
  return postToSubgraph(
    (options.via ?? server).url,
    `mutation($input: ChargeInput!) { chargePayment(input: $input) { ${RESULT} } }`,
    { input },
    gatewaySigned(identity),
  );
}

function refundVia(
  sagaId: string,
  options: { reason?: string; client?: Client; via?: StartedSubgraph<ServicePrisma> } = {},
): Promise<GraphQLResponse> {
  const query = `mutation($sagaId: ID!, $reason: String!) { refundPayment(sagaId: $sagaId, reason: $reason) { ${RESULT} } }`;
  return postToSubgraph(
    (options.via ?? server).url,
    query,
    { sagaId, reason: options.reason ?? 'order cancelled' },
    gatewaySigned({ userId: BUYER, client: options.client ?? 'service' }),
  );
}

function resultOf(response: GraphQLResponse): ChargeResult {
  expect(response.status).toBe(200);
  expect(response.body.errors).toBeUndefined();
  const [result] = Object.values(response.body.data ?? {});
  return result as ChargeResult;
}

function errorOf(response: GraphQLResponse) {
  expect(response.body.errors).toHaveLength(1);
  expect(response.body.data).toBeNull();
  return response.body.errors?.[0]?.extensions ?? {};
}

async function written(sagaId: string) {
  const [payments, saga] = await Promise.all([
    prisma.payment.findMany({ where: { sagaId } }),
    prisma.sagaCharge.findUnique({ where: { sagaId } }),
  ]);
  return { payments, attempts: saga?.attempts ?? 0, voided: Boolean(saga?.voidedAt) };
}

async function refundEvents(orderId: string) {
  const rows = await prisma.outboxEvent.findMany({ where: { type: 'payment.refunded' }, orderBy: { seq: 'asc' } });
  return rows.map((row) => PaymentRefunded.parse(row.payload)).filter((p) => p.orderId === orderId);
}

describe('who may call the saga steps', () => {
  it.each<Client>(['web', 'mobile'])('refuses a %s client with FORBIDDEN and charges nothing', async (client) => {
    const sagaId = randomUUID();
    expect(errorOf(await chargeVia({ sagaId, client })).code).toBe('FORBIDDEN');
    expect(errorOf(await refundVia(sagaId, { client })).code).toBe('FORBIDDEN');
    expect(await written(sagaId)).toEqual({ payments: [], attempts: 0, voided: false });
  });

  it('refuses a service call without the buyer with UNAUTHENTICATED', async () => {
    const sagaId = randomUUID();
    expect(errorOf(await chargeVia({ sagaId, userId: null })).code).toBe('UNAUTHENTICATED');
    expect(await written(sagaId)).toEqual({ payments: [], attempts: 0, voided: false });
  });
});

describe('bad input', () => {
  it.each([
    ['a malformed sagaId', { sagaId: 'saga-1' }, 'input.sagaId'],
    ['a malformed orderId', { orderId: 'order-1' }, 'input.orderId'],
    ['an amount of 0', { amountCents: 0 }, 'input.amountCents'],
    ['an amount of a million and a cent', { amountCents: 100_000_001 }, 'input.amountCents'],
    ['a lower-case currency', { currency: 'usd' }, 'input.currency'],
    ['a number failing Luhn', { card: card('4242424242424241') }, 'input.card.number'],
    ['a number too short', { card: card('4242') }, 'input.card.number'],
    ['month 13', { card: card('4242424242424242', { expMonth: 13 }) }, 'input.card.expMonth'],
    [
      'a past expiry',
      { card: card('4242424242424242', { expYear: new Date().getUTCFullYear() - 1 }) },
      'input.card.expYear',
    ],
    ['a two-digit year', { card: card('4242424242424242', { expYear: 30 }) }, 'input.card.expYear'],
    ['a cvc with a letter', { card: card('4242424242424242', { cvc: '12a' }) }, 'input.card.cvc'],
  ])(
    'answers %s with BAD_USER_INPUT naming the field, and calls no processor',
    async (_label, overrides, argumentName) => {
      const sagaId = randomUUID();
      const options: ChargeOptions = overrides;
      expect(errorOf(await chargeVia({ ...options, sagaId: options.sagaId ?? sagaId }))).toMatchObject({
        code: 'BAD_USER_INPUT',
        argumentName,
      });
      expect(await written(sagaId)).toEqual({ payments: [], attempts: 0, voided: false });
    },
  );

  it.each([
    ['an empty reason', randomUUID(), '  ', 'reason'],
    ['a malformed sagaId', 'saga-1', 'order cancelled', 'sagaId'],
  ])('answers a refund with %s with BAD_USER_INPUT', async (_label, sagaId, reason, argumentName) => {
    expect(errorOf(await refundVia(sagaId, { reason }))).toMatchObject({ code: 'BAD_USER_INPUT', argumentName });
  });

  it('refuses a second saga charging an order another saga already charged', async () => {
    const orderId = randomUUID();
    expect(resultOf(await chargeVia({ sagaId: randomUUID(), orderId })).outcome).toBe('CAPTURED');
    const second = randomUUID();
    expect(errorOf(await chargeVia({ sagaId: second, orderId }))).toMatchObject({
      code: 'BAD_USER_INPUT',
      argumentName: 'input.orderId',
    });
    expect((await written(second)).payments).toEqual([]);
  });
});

describe('the test cards', () => {
  it.each([
    ['4242424242424242', 'CAPTURED', null, 'visa'],
    ['5555555555554444', 'CAPTURED', null, 'mastercard'],
    ['378282246310005', 'CAPTURED', null, 'amex'],
    ['4000000000000002', 'DECLINED', 'card_declined', 'visa'],
    ['4000000000009995', 'DECLINED', 'insufficient_funds', 'visa'],
    ['4000000000000069', 'DECLINED', 'expired_card', 'visa'],
    ['4000000000000127', 'DECLINED', 'incorrect_cvc', 'visa'],
  ])('%s is %s (%s), stored with brand and last four only', async (number, outcome, declineCode, brand) => {
    const sagaId = randomUUID();
    const result = resultOf(
      await chargeVia({ sagaId, card: card(number, { cvc: '4321' }), amountCents: 1999, currency: 'EUR' }),
    );
    expect(result).toEqual({
      sagaId,
      outcome,
      declineCode,
      payment: {
        id: expect.any(String) as unknown,
        status: outcome,
        amount: { amountCents: 1999, currency: 'EUR' },
        method: { brand, last4: number.slice(-4) },
        order: { id: sagaId },
      },
    });
    const { payments, attempts } = await written(sagaId);
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({ userId: BUYER, status: outcome, declineCode });
    const stored = JSON.stringify(payments[0]);
    expect(stored).not.toContain(number);
    expect(stored).not.toContain('4321');
    expect(attempts).toBe(1);
    // A retry answers the first outcome without asking the processor again.
    expect(resultOf(await chargeVia({ sagaId, card: card('4242424242424242') }))).toEqual(result);
    expect((await written(sagaId)).attempts).toBe(1);
  });

  it('4000000000000119 fails transiently every time: PAYMENT_PROCESSOR_UNAVAILABLE, each attempt counted, nothing captured', async () => {
    const sagaId = randomUUID();
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(errorOf(await chargeVia({ sagaId, card: card('4000000000000119') })).code).toBe(
        'PAYMENT_PROCESSOR_UNAVAILABLE',
      );
    }
    expect(await written(sagaId)).toEqual({ payments: [], attempts: 3, voided: false });
    // The saga gives up and compensates: never charged, so the refund voids it and a late retry charges nothing.
    expect(resultOf(await refundVia(sagaId))).toEqual({ sagaId, outcome: 'VOIDED', declineCode: null, payment: null });
    expect(resultOf(await chargeVia({ sagaId, card: card('4000000000000119') })).outcome).toBe('VOIDED');
    expect(await written(sagaId)).toEqual({ payments: [], attempts: 3, voided: true });
  });

  it('4000000000000259 fails transiently on its first two attempts for a saga, then captures once', async () => {
    const sagaId = randomUUID();
    const charge = () => chargeVia({ sagaId, card: card('4000000000000259') });
    expect(errorOf(await charge()).code).toBe('PAYMENT_PROCESSOR_UNAVAILABLE');
    expect(errorOf(await charge()).code).toBe('PAYMENT_PROCESSOR_UNAVAILABLE');
    expect((await written(sagaId)).payments).toEqual([]);
    const captured = resultOf(await charge());
    expect(captured).toMatchObject({ outcome: 'CAPTURED', payment: { status: 'CAPTURED', method: { last4: '0259' } } });
    expect(resultOf(await charge())).toEqual(captured);
    const { payments, attempts } = await written(sagaId);
    expect(payments.map((p) => p.id)).toEqual([captured.payment?.id]);
    expect(attempts).toBe(3);
    // Another saga with the same card starts its own count.
    expect(errorOf(await chargeVia({ sagaId: randomUUID(), card: card('4000000000000259') })).code).toBe(
      'PAYMENT_PROCESSOR_UNAVAILABLE',
    );
  });
});

describe('idempotency and processor failures', () => {
  it('charges once for ten concurrent calls of one saga: one processor call, one payment, ten equal answers', async () => {
    const sagaId = randomUUID();
    const answers = (await Promise.all(Array.from({ length: 10 }, () => chargeVia({ sagaId, via: slow })))).map(
      resultOf,
    );
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]?.outcome).toBe('CAPTURED');
    expect(await written(sagaId)).toMatchObject({
      payments: [expect.objectContaining({ status: 'CAPTURED' })],
      attempts: 1,
    });
  });

  it('a processor that is down (failure rate 1) captures nothing; the retry on a working one captures', async () => {
    const sagaId = randomUUID();
    expect(errorOf(await chargeVia({ sagaId, via: down })).code).toBe('PAYMENT_PROCESSOR_UNAVAILABLE');
    expect(await written(sagaId)).toEqual({ payments: [], attempts: 1, voided: false });
    expect(resultOf(await chargeVia({ sagaId })).outcome).toBe('CAPTURED');
    // A refund while the processor is down changes nothing and publishes nothing.
    expect(errorOf(await refundVia(sagaId, { via: down })).code).toBe('PAYMENT_PROCESSOR_UNAVAILABLE');
    expect((await written(sagaId)).payments[0]?.status).toBe('CAPTURED');
    expect(await refundEvents(sagaId)).toEqual([]);
  });

  it('refuses to start with a processor setting out of range, naming the variable', async () => {
    await expect(
      paymentsService.start({ env: { ...env, PAYMENTS_PROCESSOR_FAILURE_RATE: '2' }, port: 0, logger }),
    ).rejects.toThrow(/PAYMENTS_PROCESSOR_FAILURE_RATE/);
  });
});

describe('refundPayment', () => {
  it('refunds a captured charge once, publishing payment.refunded in the same transaction; a late charge charges nothing', async () => {
    const sagaId = randomUUID();
    const captured = resultOf(await chargeVia({ sagaId, amountCents: 4200 }));
    const refunded = resultOf(await refundVia(sagaId, { reason: 'customer cancelled' }));
    expect(refunded).toMatchObject({
      sagaId,
      outcome: 'REFUNDED',
      payment: { id: captured.payment?.id, status: 'REFUNDED' },
    });
    expect(await refundEvents(sagaId)).toEqual([
      {
        paymentId: captured.payment?.id,
        orderId: sagaId,
        amountCents: 4200,
        currency: 'USD',
        reason: 'customer cancelled',
      },
    ]);
    expect(resultOf(await refundVia(sagaId))).toEqual(refunded);
    expect(resultOf(await chargeVia({ sagaId }))).toEqual(refunded);
    expect(await refundEvents(sagaId)).toHaveLength(1);
    expect((await written(sagaId)).payments).toHaveLength(1);
  });

  it('on a saga never charged records a VOIDED tombstone, so a late charge charges nothing', async () => {
    const sagaId = randomUUID();
    const tombstone = resultOf(await refundVia(sagaId, { reason: 'stock unavailable' }));
    expect(tombstone).toEqual({ sagaId, outcome: 'VOIDED', declineCode: null, payment: null });
    expect(resultOf(await chargeVia({ sagaId }))).toEqual(tombstone);
    expect(resultOf(await refundVia(sagaId))).toEqual(tombstone);
    expect(await written(sagaId)).toEqual({ payments: [], attempts: 0, voided: true });
    expect(await prisma.sagaCharge.findUniqueOrThrow({ where: { sagaId } })).toMatchObject({
      voidReason: 'stock unavailable',
    });
    expect(await refundEvents(sagaId)).toEqual([]);
  });

  it('leaves a declined charge as it is: nothing to refund, nothing published', async () => {
    const sagaId = randomUUID();
    const declined = resultOf(await chargeVia({ sagaId, card: card('4000000000000002') }));
    expect(resultOf(await refundVia(sagaId))).toEqual(declined);
    expect(await refundEvents(sagaId)).toEqual([]);
  });

  it('is relayed: every payment.refunded written above reaches a subscriber exactly once', async () => {
    const rows = await prisma.outboxEvent.findMany({ where: { type: 'payment.refunded' }, select: { id: true } });
    expect(rows.length).toBeGreaterThan(0);
    await waitFor(
      'the relay to publish the outbox',
      async () => (await prisma.outboxEvent.count({ where: { publishedAt: null } })) === 0,
      30_000,
    );
    expect([...delivered].sort()).toEqual(rows.map((r) => r.id).sort());
  });
});
