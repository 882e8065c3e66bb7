// The checkout saga's inventory steps over HTTP against real Postgres: only service callers, exact
// under concurrency, idempotent by sagaId, all or nothing, and every stock change published through
// the outbox in its own transaction.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../../lib/auth/index.ts';
import { openServiceDatabase, type ServiceDatabase } from '../../../lib/db/index.ts';
import { EVENT_SCHEMAS, processEventBus, type DomainEvent, type RunningConsumer } from '../../../lib/events/index.ts';
import { silentLogger } from '../../../lib/observability/index.ts';
import type { ServicePrisma, StartedSubgraph } from '../../../lib/subgraph/index.ts';
import { gatewaySigned, postToSubgraph, TEST_SIGNING_SECRET } from '../../../test/support/auth.ts';
import { databaseEnv, dropDatabasesWithPrefix, uniquePrefix } from '../../../test/support/databases.ts';
import { runLoad, waitFor } from '../../../test/support/failures.ts';
import type { GraphQLResponse } from '../../../test/support/gateway.ts';
import { createPrisma, type InventoryPrisma } from '../src/db.ts';
import { inventoryService } from '../src/service.ts';

const logger = silentLogger();
const prefix = uniquePrefix('stockholds');
const BUYER = randomUUID();
const StockChanged = EVENT_SCHEMAS['stock.changed'][1];

let server: StartedSubgraph<ServicePrisma>;
let database: ServiceDatabase;
let prisma: InventoryPrisma;
let subscriber: RunningConsumer;
const delivered: string[] = [];

interface Hold {
  sagaId: string;
  status: string;
  lines: Array<{ productId: string; quantity: number }>;
  shortages: Array<{ productId: string; requested: number; available: number }>;
}

beforeAll(async () => {
  // In-process event delivery: this file's relay must not publish into a shared Redis.
  const env: NodeJS.ProcessEnv = {
    ...databaseEnv(prefix),
    GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET,
    EVENTS_RELAY_POLL_MS: '20',
  };
  delete env.REDIS_URL;
  delete env.REDIS_CLUSTER_NODES;
  server = await inventoryService.start({ env, port: 0, logger, workers: true });
  database = await openServiceDatabase('inventory', { env, logger });
  prisma = createPrisma(database.adapter);
  // A consumer of what the relay publishes, recording each event it handles (once, through the inbox).
  subscriber = processEventBus.subscribe({
    group: 'stock-holds-test',
    delivery: {
      db: prisma,
      handlers: { 'stock.changed': (event: DomainEvent) => void delivered.push(event.id) },
    },
    maxDeliveries: 1,
    logger,
  });
});

afterAll(async () => {
  await subscriber?.stop();
  await server?.close();
  await prisma?.$disconnect();
  await database?.close();
  await dropDatabasesWithPrefix(prefix);
});

const HOLD = 'sagaId status lines { productId quantity } shortages { productId requested available }';

function send(query: string, variables: Record<string, unknown>, client: Client = 'service'): Promise<GraphQLResponse> {
  return postToSubgraph(server.url, query, variables, gatewaySigned({ userId: BUYER, client }));
}

const reserve = (sagaId: string, lines: Array<{ productId: string; quantity: number }>, client?: Client) =>
  send(
    `mutation($sagaId: ID!, $lines: [StockLineInput!]!) { reserveStock(sagaId: $sagaId, lines: $lines) { ${HOLD} } }`,
    { sagaId, lines },
    client,
  );
const release = (sagaId: string, reason = 'payment declined', client?: Client) =>
  send(
    `mutation($sagaId: ID!, $reason: String!) { releaseStock(sagaId: $sagaId, reason: $reason) { ${HOLD} } }`,
    { sagaId, reason },
    client,
  );
const commit = (sagaId: string, client?: Client) =>
  send(`mutation($sagaId: ID!) { commitStock(sagaId: $sagaId) { ${HOLD} } }`, { sagaId }, client);

/** The hold a step answered, failing on any error. */
function holdOf(response: GraphQLResponse): Hold {
  expect(response.status).toBe(200);
  expect(response.body.errors).toBeUndefined();
  const data = response.body.data ?? {};
  const [hold] = Object.values(data);
  return hold as Hold;
}

function errorOf(response: GraphQLResponse) {
  expect(response.body.errors).toHaveLength(1);
  return response.body.errors?.[0]?.extensions ?? {};
}

async function newProduct(onHand: number): Promise<string> {
  const productId = randomUUID();
  await prisma.stockItem.create({ data: { productId, onHand } });
  return productId;
}

async function stockOf(productId: string) {
  const { onHand, reserved } = await prisma.stockItem.findUniqueOrThrow({ where: { productId } });
  return { onHand, reserved };
}

/** The stock.changed events in the outbox about these products, in outbox order. */
async function stockEvents(...productIds: string[]) {
  const rows = await prisma.outboxEvent.findMany({ where: { type: 'stock.changed' }, orderBy: { seq: 'asc' } });
  return rows
    .map((row) => ({ id: row.id, ...StockChanged.parse(row.payload) }))
    .filter((e) => productIds.includes(e.productId));
}

describe('who may call the saga steps', () => {
  it.each<Client>(['web', 'mobile'])('refuses a %s client with FORBIDDEN and changes nothing', async (client) => {
    const productId = await newProduct(5);
    const sagaId = randomUUID();
    for (const response of [
      await reserve(sagaId, [{ productId, quantity: 1 }], client),
      await release(sagaId, 'x', client),
      await commit(sagaId, client),
    ]) {
      expect(errorOf(response).code).toBe('FORBIDDEN');
      expect(response.body.data).toBeNull();
    }
    expect(await prisma.stockHold.count({ where: { sagaId } })).toBe(0);
    expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 0 });
  });
});

describe('bad input', () => {
  const id = randomUUID();
  const line = (quantity: number, productId: string = id) => ({ productId, quantity });
  it.each([
    ['a malformed sagaId', () => reserve('saga-1', [line(1)]), 'sagaId'],
    ['no lines', () => reserve(randomUUID(), []), 'lines'],
    [
      '101 lines',
      () =>
        reserve(
          randomUUID(),
          Array.from({ length: 101 }, () => line(1, randomUUID())),
        ),
      'lines',
    ],
    ['a quantity of 0', () => reserve(randomUUID(), [line(0)]), 'lines[0].quantity'],
    ['a quantity of 1,001', () => reserve(randomUUID(), [line(1001)]), 'lines[0].quantity'],
    ['a malformed productId', () => reserve(randomUUID(), [line(1), line(1, 'product-7')]), 'lines[1].productId'],
    [
      'one product asked for more than 1,000 units over two lines',
      () => reserve(randomUUID(), [line(600), line(401)]),
      'lines',
    ],
    ['an empty release reason', () => release(randomUUID(), '   '), 'reason'],
    ['a release reason over 500 characters', () => release(randomUUID(), 'x'.repeat(501)), 'reason'],
    ['a malformed sagaId to release', () => release('nope'), 'sagaId'],
    ['a malformed sagaId to commit', () => commit('nope'), 'sagaId'],
  ])('answers %s with BAD_USER_INPUT naming the argument, and writes nothing', async (_label, call, argumentName) => {
    const before = await prisma.stockHold.count();
    const extensions = errorOf(await call());
    expect(extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName });
    expect(await prisma.stockHold.count()).toBe(before);
  });
});

describe('reserveStock', () => {
  it("holds every line's units, merging duplicate products, and Product.stock shows them reserved", async () => {
    const [a, b] = [await newProduct(5), await newProduct(3)];
    const hold = holdOf(
      await reserve(randomUUID(), [
        { productId: a, quantity: 2 },
        { productId: b, quantity: 1 },
        { productId: a.toUpperCase(), quantity: 1 },
      ]),
    );
    expect(hold.status).toBe('HELD');
    expect(hold.lines).toEqual(
      [
        { productId: a, quantity: 3 },
        { productId: b, quantity: 1 },
      ].sort((x, y) => x.productId.localeCompare(y.productId)),
    );
    expect(hold.shortages).toEqual([]);
    expect([await stockOf(a), await stockOf(b)]).toEqual([
      { onHand: 5, reserved: 3 },
      { onHand: 3, reserved: 1 },
    ]);
    const entities = await send(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { stock { available reserved inStock } } } }',
      {
        r: [a, b].map((id) => ({ __typename: 'Product', id })),
      },
      'web',
    );
    expect(entities.body.data?._entities).toEqual([
      { stock: { available: 2, reserved: 3, inStock: true } },
      { stock: { available: 2, reserved: 1, inStock: true } },
    ]);
    const events = await stockEvents(a, b);
    expect(
      events
        .map(({ productId, available, reserved, delta, reason }) => ({ productId, available, reserved, delta, reason }))
        .sort((x, y) => x.productId.localeCompare(y.productId)),
    ).toEqual(
      [
        { productId: a, available: 2, reserved: 3, delta: -3, reason: 'reserved' },
        { productId: b, available: 2, reserved: 1, delta: -1, reason: 'reserved' },
      ].sort((x, y) => x.productId.localeCompare(y.productId)),
    );
  });

  it('is all or nothing: a line short of units REJECTS the hold, recorded with its shortages, and reserves nothing', async () => {
    const [a, b, unknown] = [await newProduct(5), await newProduct(1), randomUUID()];
    const sagaId = randomUUID();
    const hold = holdOf(
      await reserve(sagaId, [
        { productId: a, quantity: 2 },
        { productId: b, quantity: 2 },
        { productId: unknown, quantity: 1 },
      ]),
    );
    expect(hold.status).toBe('REJECTED');
    expect(hold.lines).toHaveLength(3);
    expect(hold.shortages).toEqual(
      [
        { productId: b, requested: 2, available: 1 },
        { productId: unknown, requested: 1, available: 0 },
      ].sort((x, y) => x.productId.localeCompare(y.productId)),
    );
    expect([await stockOf(a), await stockOf(b)]).toEqual([
      { onHand: 5, reserved: 0 },
      { onHand: 1, reserved: 0 },
    ]);
    // REJECTED is terminal: with the units there now, a retry still answers REJECTED and holds nothing.
    await prisma.stockItem.update({ where: { productId: b }, data: { onHand: 10 } });
    expect(
      holdOf(
        await reserve(sagaId, [
          { productId: a, quantity: 2 },
          { productId: b, quantity: 2 },
        ]),
      ),
    ).toEqual(hold);
    expect(await stockOf(b)).toEqual({ onHand: 10, reserved: 0 });
    expect(await stockEvents(a, b, unknown)).toEqual([]);
  });

  it('answers a retry and ten concurrent duplicates with the one hold, reserving once', async () => {
    const productId = await newProduct(5);
    const sagaId = randomUUID();
    const answers = await Promise.all(Array.from({ length: 10 }, () => reserve(sagaId, [{ productId, quantity: 2 }])));
    const holds = answers.map(holdOf);
    expect(holds.every((h) => JSON.stringify(h) === JSON.stringify(holds[0]))).toBe(true);
    expect(holds[0]).toMatchObject({ sagaId, status: 'HELD', lines: [{ productId, quantity: 2 }] });
    // A retry with other lines still answers the saga's one hold.
    expect(holdOf(await reserve(sagaId, [{ productId, quantity: 5 }]))).toEqual(holds[0]);
    expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 2 });
    expect(await prisma.stockHold.count({ where: { sagaId } })).toBe(1);
    expect(await prisma.reservation.count({ where: { sagaId } })).toBe(1);
    expect(await stockEvents(productId)).toHaveLength(1);
  });

  it('holds exactly 10 of 1,000 concurrent one-unit reserves (distinct sagas) for 10 units', async () => {
    const productId = await newProduct(10);
    const sagas = Array.from({ length: 1000 }, () => randomUUID());
    // 250 in flight at once: far more than the subgraph's 10 database connections, so every
    // transaction contends for the row, without a loaded machine queueing one past its wait limit.
    const holds = (await runLoad(sagas.length, 250, (i) => reserve(sagas[i] ?? '', [{ productId, quantity: 1 }]))).map(
      holdOf,
    );
    const held = holds.filter((h) => h.status === 'HELD');
    const rejected = holds.filter((h) => h.status === 'REJECTED');
    expect(held).toHaveLength(10);
    expect(rejected).toHaveLength(990);
    expect(rejected.every((h) => h.shortages.length === 1 && h.shortages[0]?.available === 0)).toBe(true);
    expect(await stockOf(productId)).toEqual({ onHand: 10, reserved: 10 });
    expect(
      await prisma.stockHold.groupBy({
        by: ['status'],
        where: { sagaId: { in: sagas } },
        _count: { _all: true },
        orderBy: { status: 'asc' },
      }),
    ).toEqual([
      { status: 'HELD', _count: { _all: 10 } },
      { status: 'REJECTED', _count: { _all: 990 } },
    ]);
    // One event per reservation, each recording the units left after it: 9, 8, ... 0, never below.
    expect((await stockEvents(productId)).map((e) => e.available)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  });
});

describe('releaseStock and commitStock', () => {
  it('release before any reserve leaves a RELEASED tombstone, so a late reserve holds nothing', async () => {
    const productId = await newProduct(5);
    const sagaId = randomUUID();
    const tombstone = holdOf(await release(sagaId, 'checkout abandoned'));
    expect(tombstone).toEqual({ sagaId, status: 'RELEASED', lines: [], shortages: [] });
    expect(holdOf(await reserve(sagaId, [{ productId, quantity: 1 }]))).toEqual(tombstone);
    expect(holdOf(await release(sagaId))).toEqual(tombstone);
    expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 0 });
    expect(await stockEvents(productId)).toEqual([]);
    expect(await prisma.stockHold.findUniqueOrThrow({ where: { sagaId } })).toMatchObject({
      releaseReason: 'checkout abandoned',
    });
  });

  it('commit turns a HELD hold into a sale, release then returns it; each repeat changes nothing', async () => {
    const productId = await newProduct(5);
    const sagaId = randomUUID();
    const lines = [{ productId, quantity: 2 }];
    expect(holdOf(await reserve(sagaId, lines)).status).toBe('HELD');
    expect(holdOf(await commit(sagaId))).toEqual({ sagaId, status: 'COMMITTED', lines, shortages: [] });
    expect(await stockOf(productId)).toEqual({ onHand: 3, reserved: 0 });
    expect(holdOf(await commit(sagaId)).status).toBe('COMMITTED');
    expect(await stockOf(productId)).toEqual({ onHand: 3, reserved: 0 });
    expect(holdOf(await release(sagaId, 'order cancelled'))).toEqual({
      sagaId,
      status: 'RETURNED',
      lines,
      shortages: [],
    });
    expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 0 });
    for (const repeat of [() => release(sagaId), () => commit(sagaId), () => reserve(sagaId, lines)])
      expect(holdOf(await repeat()).status).toBe('RETURNED');
    expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 0 });
    expect(
      (await stockEvents(productId)).map(({ reason, delta, available, reserved }) => ({
        reason,
        delta,
        available,
        reserved,
      })),
    ).toEqual([
      { reason: 'reserved', delta: -2, available: 3, reserved: 2 },
      { reason: 'committed', delta: -2, available: 3, reserved: 0 },
      { reason: 'adjusted', delta: 2, available: 5, reserved: 0 },
    ]);
  });

  it("release gives a HELD hold's units back; a RELEASED hold is never committed", async () => {
    const productId = await newProduct(5);
    const sagaId = randomUUID();
    holdOf(await reserve(sagaId, [{ productId, quantity: 4 }]));
    expect(holdOf(await release(sagaId)).status).toBe('RELEASED');
    expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 0 });
    expect(holdOf(await commit(sagaId)).status).toBe('RELEASED');
    expect(holdOf(await release(sagaId)).status).toBe('RELEASED');
    expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 0 });
    expect(
      (await stockEvents(productId)).map(({ reason, delta, available }) => ({ reason, delta, available })),
    ).toEqual([
      { reason: 'reserved', delta: -4, available: 1 },
      { reason: 'released', delta: 4, available: 5 },
    ]);
  });

  it('commit of a saga without a hold is NOT_FOUND and records nothing', async () => {
    const sagaId = randomUUID();
    expect(errorOf(await commit(sagaId))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await prisma.stockHold.count({ where: { sagaId } })).toBe(0);
  });
});

describe('the outbox', () => {
  it('commits a step and its events together: a step that fails leaves neither', async () => {
    const productId = await newProduct(5);
    const sagaId = randomUUID();
    holdOf(await reserve(sagaId, [{ productId, quantity: 2 }]));
    // Counts corrupted behind inventory's back: the commit's guarded UPDATE refuses, so the step fails.
    await prisma.stockItem.update({ where: { productId }, data: { reserved: 0 } });
    const failed = await commit(sagaId);
    expect(errorOf(failed).code).toBe('INTERNAL_SERVER_ERROR');
    expect(JSON.stringify(failed.body)).not.toMatch(/StockItem|UPDATE|refused/);
    expect(await prisma.stockHold.findUniqueOrThrow({ where: { sagaId } })).toMatchObject({ status: 'HELD' });
    expect(await stockOf(productId)).toEqual({ onHand: 5, reserved: 0 });
    expect(await stockEvents(productId)).toHaveLength(1);
    await prisma.stockItem.update({ where: { productId }, data: { reserved: 2 } });
    expect(holdOf(await commit(sagaId)).status).toBe('COMMITTED');
    expect((await stockEvents(productId)).map((e) => e.reason)).toEqual(['reserved', 'committed']);
  });

  it('is relayed: every stock.changed written above reaches a subscriber exactly once', async () => {
    const rows = await prisma.outboxEvent.findMany({ where: { type: 'stock.changed' }, select: { id: true } });
    expect(rows.length).toBeGreaterThan(10);
    await waitFor(
      'the relay to publish the outbox',
      async () => (await prisma.outboxEvent.count({ where: { publishedAt: null } })) === 0,
      30_000,
    );
    expect([...delivered].sort()).toEqual(rows.map((r) => r.id).sort());
  });
});
