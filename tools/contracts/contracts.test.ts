import { readdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSubgraphSdl } from '../../lib/composition.ts';
import { operationsDir } from '../../lib/gateway/paths.ts';
import { demoData, DEMO_USER_ID } from '../../lib/seed/index.ts';
import { SUBGRAPH_NAMES } from '../../lib/services.ts';
import { checkContractAgainstSchema } from './checkSchema.ts';
import { checkResponseShape } from './checkResponse.ts';
import { parseContract, printContract, type Contract } from './contract.ts';
import { contractDrift, describeDrift, generateContracts, readContracts, subgraphSchema } from './files.ts';
import { replayRequest } from './replayInputs.ts';

const fresh = await generateContracts();

function committed(subgraph: Contract['subgraph'], fileName: string): Contract {
  const contract = readContracts(subgraph).find((c) => c.file.endsWith(`/${fileName}`));
  if (!contract) throw new Error(`no committed contract ${fileName} for ${subgraph}`);
  return contract;
}

/** The orders schema with edits; throws if a text to edit is gone, so no test passes vacuously. */
async function ordersSchemaWith(...edits: Array<[from: string, to: string]>) {
  let sdl = await readSubgraphSdl('orders');
  for (const [from, to] of edits) {
    if (!sdl.includes(from))
      throw new Error(`subgraphs/orders/schema.graphql no longer contains ${JSON.stringify(from)}`);
    sdl = sdl.replace(from, to);
  }
  return subgraphSchema(sdl);
}

describe('recorded contracts', () => {
  it('are what the gateways send now (else: run npm run contracts)', async () => {
    const drift = await contractDrift(fresh);
    expect(drift.map(describeDrift), 'contracts are stale: run npm run contracts').toEqual([]);
  });

  it('cover every client operation of both gateways, and every domain subgraph', async () => {
    const operations = (
      await Promise.all(
        (['web', 'mobile'] as const).map(async (gateway) =>
          (await readdir(operationsDir(gateway)))
            .filter((f) => f.endsWith('.graphql'))
            .map((f) => `gateway-${gateway} ${basename(f, '.graphql')}`),
        ),
      )
    ).flat();
    expect(new Set(fresh.map((c) => `${c.consumer} ${c.operationName}`))).toEqual(new Set(operations));
    // The in-process BFF subgraphs are part of their gateway: every contract is with a domain subgraph, each has some.
    expect(new Set(fresh.map((c) => c.subgraph))).toEqual(new Set(SUBGRAPH_NAMES));
  });

  it('carry the representative variables of budgets.json that each request forwards, for replays that write', () => {
    const addReview = fresh.filter((c) => c.operationName === 'AddReview' && c.consumer === 'gateway-web');
    expect(addReview.map((c) => [c.subgraph, c.variables])).toEqual([
      ['reviews', { productId: expect.any(String) as unknown, rating: 5, body: expect.any(String) as unknown }],
      // The users fetch forwards no variable of the operation.
      ['users', null],
    ]);
    expect(committed('users', 'gateway-web.UpdateProfile.1.graphql').variables).toEqual({
      input: { name: expect.any(String) as unknown },
    });
  });

  it('read back from their files as they were written', () => {
    for (const contract of fresh)
      expect(parseContract(printContract(contract, { generated: true }), contract.file, contract.subgraph)).toEqual(
        contract,
      );
  });

  it('report a stale, a missing and an obsolete file by consumer and operation', async () => {
    const [first, second, ...rest] = fresh;
    if (!first || !second) throw new Error('expected contracts');
    const changed = { ...first, document: first.document.replace('{', '{ __typename ') };
    const added: Contract = {
      ...first,
      operationName: 'Wishlist',
      file: first.file.replace(`.${first.operationName}.`, '.Wishlist.'),
    };
    const concerned = new Set([first.file, added.file, second.file]);
    const drift = (await contractDrift([changed, added, ...rest]))
      .filter((d) => concerned.has(d.file))
      .map(describeDrift);
    // In the order of the subgraphs, which need not be that of the two first contracts.
    expect(drift.sort()).toEqual(
      [
        `${first.consumer} ${first.operationName}: ${first.file} is out of date`,
        `${first.consumer} Wishlist: ${added.file} is not committed`,
        `${second.consumer} ${second.operationName}: ${second.file} is no longer sent`,
      ].sort(),
    );
  });

  it('all hold against the subgraph schemas in the tree', async () => {
    for (const subgraph of SUBGRAPH_NAMES) {
      const schema = subgraphSchema(await readSubgraphSdl(subgraph));
      for (const contract of readContracts(subgraph)) expect(checkContractAgainstSchema(contract, schema)).toEqual([]);
    }
  });
});

describe('a subgraph schema change that breaks a recorded contract', () => {
  const mobileDashboard = committed('orders', 'gateway-mobile.Dashboard.1.graphql');
  const webDashboard = committed('orders', 'gateway-web.Dashboard.1.graphql');

  it('fails on a renamed field, naming consumer, operation, field and subgraph', async () => {
    const schema = await ordersSchemaWith([
      '  orders(first: Int = 10, after: String): OrderConnection',
      '  orderHistory(first: Int = 10, after: String): OrderConnection',
    ]);
    const [violation, ...others] = checkContractAgainstSchema(mobileDashboard, schema);
    expect(violation).toBe(
      'gateway-mobile Dashboard expects User.orders(first) from orders: Cannot query field "orders" on type "User". (subgraphs/orders/contracts/gateway-mobile.Dashboard.1.graphql)',
    );
    expect(others).toEqual([]);
  });

  it('fails when a non-null field the consumer reads becomes nullable', async () => {
    const schema = await ordersSchemaWith([
      '  total: Money!\n  createdAt: DateTime!',
      '  total: Money\n  createdAt: DateTime!',
    ]);
    expect(checkContractAgainstSchema(mobileDashboard, schema)).toEqual([
      'gateway-mobile Dashboard expects Order.total: Money! from orders, which now declares it Money (subgraphs/orders/contracts/gateway-mobile.Dashboard.1.graphql)',
    ]);
  });

  it('fails when a field changes type', async () => {
    const schema = await ordersSchemaWith([
      '  items: [OrderItem!]! @listSize(assumedSize: 5)\n  "Number of units across all lines."\n  itemCount: Int!',
      '  items: [OrderItem!]! @listSize(assumedSize: 5)\n  "Number of units across all lines."\n  itemCount: String!',
    ]);
    expect(checkContractAgainstSchema(mobileDashboard, schema)).toEqual([
      'gateway-mobile Dashboard expects Order.itemCount: Int! from orders, which now declares it String! (subgraphs/orders/contracts/gateway-mobile.Dashboard.1.graphql)',
    ]);
  });

  it('fails when an argument the consumer passes is removed', async () => {
    const schema = await ordersSchemaWith(['  spending(days: Int = 30): Spending', '  spending: Spending']);
    expect(checkContractAgainstSchema(webDashboard, schema)).toEqual([
      'gateway-web Dashboard expects User.spending(days) from orders: Unknown argument "days" on field "User.spending". (subgraphs/orders/contracts/gateway-web.Dashboard.1.graphql)',
    ]);
  });

  it('fails when an argument becomes required, or a variable no longer fits it', async () => {
    const required = await ordersSchemaWith([
      '  spending(days: Int = 30): Spending',
      '  spending(days: Int = 30, currency: String!): Spending',
    ]);
    expect(checkContractAgainstSchema(webDashboard, required)).toEqual([
      'gateway-web Dashboard expects User.spending(days) from orders: Field "spending" argument "currency" of type "String!" is required, but it was not provided. (subgraphs/orders/contracts/gateway-web.Dashboard.1.graphql)',
    ]);
    const stricter = await ordersSchemaWith([
      '  orders(first: Int = 10, after: String)',
      '  orders(first: Int = 10, after: String!)',
    ]);
    expect(checkContractAgainstSchema(webDashboard, stricter)).toEqual([
      'gateway-web Dashboard expects User.orders(first, after) from orders: Variable "$ordersAfter" of type "String" used in position expecting type "String!". (subgraphs/orders/contracts/gateway-web.Dashboard.1.graphql)',
    ]);
  });

  it('fails when a type stops being an entity the consumer resolves through orders', async () => {
    const schema = await ordersSchemaWith([
      'type User @key(fields: "id") @cacheControl(maxAge: 10, scope: PRIVATE) {',
      'type User @cacheControl(maxAge: 10, scope: PRIVATE) {',
    ]);
    const violations = checkContractAgainstSchema(mobileDashboard, schema);
    expect(violations.length).toBeGreaterThan(0);
    expect(violations[0]).toMatch(/^gateway-mobile Dashboard expects type User from orders: .*"User"/);
  });

  it('passes compatible changes: an added field, a nullable field made non-null', async () => {
    const schema = await ordersSchemaWith(
      ['  itemCount: Int!', '  itemCount: Int!\n  giftNote: String'],
      ['  spending(days: Int = 30): Spending', '  spending(days: Int = 30): Spending!'],
    );
    expect(checkContractAgainstSchema(mobileDashboard, schema)).toEqual([]);
    expect(checkContractAgainstSchema(webDashboard, schema)).toEqual([]);
  });
});

describe('a response that breaks a recorded contract', async () => {
  const contract = committed('orders', 'gateway-mobile.Dashboard.1.graphql');
  const schema = subgraphSchema(await readSubgraphSdl('orders'));
  const order = {
    id: '8b6f0d3e-0000-4000-8000-000000000001',
    status: 'CONFIRMED',
    itemCount: 2,
    total: { amount: 19.99, currency: 'USD' },
  };
  const answer = (node: Record<string, unknown>) => ({ data: { _entities: [{ orders: { edges: [{ node }] } }] } });
  const check = (body: unknown) => checkResponseShape({ contract, schema, body, entityTypes: ['User'] });

  it('passes the shape the consumer expects', () => {
    expect(check(answer(order))).toEqual({ violations: [], unreached: [] });
  });

  it('fails on a missing field, naming consumer, field, subgraph and path', () => {
    const { total: _total, ...withoutTotal } = order;
    expect(check(answer(withoutTotal)).violations).toEqual([
      'gateway-mobile Dashboard expects Order.total: Money! from orders; at _entities[0].orders.edges[0].node.total it is missing (subgraphs/orders/contracts/gateway-mobile.Dashboard.1.graphql)',
    ]);
  });

  it('fails on null where the consumer expects a value, a wrong scalar and an unknown enum value', () => {
    expect(
      check(answer({ ...order, total: { amount: null, currency: 'USD' }, itemCount: '2', status: 'LOST' })).violations,
    ).toEqual([
      'gateway-mobile Dashboard expects Order.status: OrderStatus! from orders; at _entities[0].orders.edges[0].node.status it is "LOST", not a value of OrderStatus (subgraphs/orders/contracts/gateway-mobile.Dashboard.1.graphql)',
      'gateway-mobile Dashboard expects Order.itemCount: Int! from orders; at _entities[0].orders.edges[0].node.itemCount it is "2", not an Int (subgraphs/orders/contracts/gateway-mobile.Dashboard.1.graphql)',
      'gateway-mobile Dashboard expects Money.amount: Float! from orders; at _entities[0].orders.edges[0].node.total.amount it is null (subgraphs/orders/contracts/gateway-mobile.Dashboard.1.graphql)',
    ]);
  });

  it('fails on errors, and on an entity the subgraph could not resolve', () => {
    const { violations } = check({
      data: { _entities: [null] },
      errors: [{ message: 'Not allowed', extensions: { code: 'FORBIDDEN' } }],
    });
    expect(violations).toEqual([
      'gateway-mobile Dashboard: orders answered with errors: Not allowed [FORBIDDEN] (subgraphs/orders/contracts/gateway-mobile.Dashboard.1.graphql)',
      'gateway-mobile Dashboard expects orders to resolve the User representation it sends; at _entities[0] it is null (subgraphs/orders/contracts/gateway-mobile.Dashboard.1.graphql)',
    ]);
  });

  it('lists the fields an empty list kept from being checked', () => {
    const result = check({ data: { _entities: [{ orders: { edges: [] } }] } });
    expect(result.violations).toEqual([]);
    expect(result.unreached).toEqual([
      'OrderEdge.node',
      'Order.id',
      'Order.status',
      'Order.itemCount',
      'Order.total',
      'Money.amount',
      'Money.currency',
    ]);
  });
});

describe('a hand-written contract (a consumer without query plans, such as the checkout saga)', async () => {
  const schema = subgraphSchema(await readSubgraphSdl('orders'));
  const fixtures = { userId: DEMO_USER_ID, data: demoData(1) };
  const text = [
    '# The saga reads back the order it confirms.',
    '# consumer: orders-saga',
    '# operation: ConfirmOrder',
    'query ConfirmOrder__orders__1($id: ID!) {',
    '  order(id: $id) { id status total { amountCents } }',
    '}',
  ].join('\n');
  const file = 'subgraphs/orders/contracts/orders-saga.ConfirmOrder.1.graphql';

  it('is read, checked and given variables like a generated one', () => {
    const contract = parseContract(text, file, 'orders');
    expect(contract).toMatchObject({
      consumer: 'orders-saga',
      operationName: 'ConfirmOrder',
      expects: [],
      variables: null,
      representations: null,
    });
    expect(checkContractAgainstSchema(contract, schema)).toEqual([]);
    // `order(id: $id)` takes an Order id: the signed-in demo user's first order.
    const ownOrder = fixtures.data.orders.find((o) => o.userId === DEMO_USER_ID);
    expect(replayRequest(contract, schema, fixtures)).toEqual({ variables: { id: ownOrder?.id }, entityTypes: [] });
  });

  it('may fix its variables, and without recorded types is checked against the schema alone', () => {
    const fixed = parseContract(
      text.replace('# operation:', '# variables: {"id": "00000000-0000-4000-8000-000000000000"}\n# operation:'),
      file,
      'orders',
    );
    expect(replayRequest(fixed, schema, fixtures).variables).toEqual({ id: '00000000-0000-4000-8000-000000000000' });
    const body = { data: { order: { id: 'x', status: 'CONFIRMED', total: { amountCents: 1.5 } } } };
    expect(checkResponseShape({ contract: fixed, schema, body }).violations).toEqual([
      `orders-saga ConfirmOrder expects Money.amountCents: Int! from orders; at order.total.amountCents it is 1.5, not an Int (${file})`,
    ]);
  });
});

describe('replay inputs for generated contracts', () => {
  it('represent entities by seeded keys the signed-in user may read', async () => {
    const schema = subgraphSchema(await readSubgraphSdl('payments'));
    const contract = committed('payments', 'gateway-web.Dashboard.1.graphql');
    const { variables, entityTypes } = replayRequest(contract, schema, { userId: DEMO_USER_ID, data: demoData(1) });
    const ownOrders = demoData(1).orders.filter((o) => o.userId === DEMO_USER_ID);
    expect(variables).toEqual({ representations: ownOrders.map((o) => ({ __typename: 'Order', id: o.id })) });
    expect(entityTypes).toEqual(ownOrders.map(() => 'Order'));
  });
});
