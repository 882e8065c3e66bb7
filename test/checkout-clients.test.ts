// The checkout as the apps run it, over the six real subgraphs on the test Postgres: the mobile app's
// registered operations sent by persisted id only (cart → checkout with the app's idempotency key →
// poll to CONFIRMED → cancel → poll to CANCELLED with the payment refunded), the same flow through
// gateway-web with its operation documents; then what a client can do wrong or race: two checkouts of
// one cart with different keys at once (one order, one charge, CART_CHANGED for the other), an
// addToCart landing during checkout (never lost), and reads racing sagas as they finish (an order's
// status and its saga never disagree).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT_DIR } from '../lib/composition.ts';
import type { RunningGateway } from '../lib/gateway/index.ts';
import { MOBILE_MANIFEST_PATH } from '../lib/gateway/paths.ts';
import type { PersistedQueryManifest } from '../lib/gateway/persistedOperations.ts';
import { asUser, gatewaySigned, postToSubgraph } from './support/auth.ts';
import { CARDS, checkoutAt, CheckoutFixtures, waitUntil } from './support/checkoutFixtures.ts';
import { uniquePrefix } from './support/databases.ts';
import { postGraphQL, startTestGateway, type GraphQLResponse } from './support/gateway.ts';
import { SagaLedger } from './support/sagaLedger.ts';
import { startSubgraphs, type SubgraphFleet } from './support/subgraphs.ts';

const prefix = uniquePrefix('ckclients');

let fleet: SubgraphFleet;
let web: RunningGateway;
let mobile: RunningGateway;
let fixtures: CheckoutFixtures;
let ledger: SagaLedger;

beforeAll(async () => {
  fleet = await startSubgraphs(prefix, {
    env: { PAYMENTS_PROCESSOR_LATENCY_MS: '30', CHECKOUT_RETRY_BASE_MS: '20', CHECKOUT_RETRY_MAX_MS: '200' },
  });
  [web, mobile] = await Promise.all([startTestGateway(fleet.urls), startTestGateway(fleet.urls, { name: 'mobile' })]);
  fixtures = await CheckoutFixtures.open(prefix);
  ledger = new SagaLedger(prefix);
}, 180_000);

afterAll(async () => {
  await web?.close();
  await mobile?.close();
  await ledger?.close();
  await fixtures?.close();
  await fleet?.close();
});

type Data = Record<string, unknown>;
interface OrderStatusView {
  id: string;
  status: string;
  statusReason: string | null;
  payment: { status: string } | null;
  saga: { state: string; steps: Array<{ name: string; status: string }> } | null;
  cancellation: { state: string } | null;
}

function dataOf(response: GraphQLResponse): Data {
  if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
  return response.body.data!;
}

/** A client of one gateway: the mobile app (persisted ids only) or the web app (documents). */
interface Client {
  run(userId: string, operation: string, variables?: Data): Promise<GraphQLResponse>;
}

const manifest = JSON.parse(readFileSync(MOBILE_MANIFEST_PATH, 'utf8')) as PersistedQueryManifest;

const mobileApp: Client = {
  async run(userId, operation, variables = {}) {
    const id = manifest.operations.find((o) => o.name === operation)?.id;
    if (!id) throw new Error(`${operation} is not in the mobile manifest`);
    // No query text at all: the id is all the app sends.
    const response = await fetch(mobile.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await asUser(userId)) },
      body: JSON.stringify({ variables, extensions: { persistedQuery: { version: 1, sha256Hash: id } } }),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as GraphQLResponse['body'],
    };
  },
};

const webApp: Client = {
  async run(userId, operation, variables = {}) {
    const document = readFileSync(join(ROOT_DIR, 'gateway-web', 'operations', `${operation}.graphql`), 'utf8');
    return postGraphQL(web.url, document, variables, await asUser(userId));
  },
};

async function pollStatus(client: Client, userId: string, orderId: string, done: (o: OrderStatusView) => boolean) {
  return waitUntil(async () => {
    const order = dataOf(await client.run(userId, 'OrderStatus', { id: orderId })).order as OrderStatusView;
    return done(order) ? order : undefined;
  }, `order ${orderId} to settle`);
}

describe.each([
  ['gateway-mobile, by persisted ids only', () => mobileApp],
  ['gateway-web, with its operation documents', () => webApp],
])('the checkout flow through %s', (_label, clientOf) => {
  it('cart → checkout → CONFIRMED → cancel → CANCELLED and refunded', async () => {
    const client = clientOf();
    const userId = await fixtures.createUser();
    const [first, second] = [await fixtures.createProduct(10, 1250), await fixtures.createProduct(10, 300)];

    expect(dataOf(await client.run(userId, 'Cart')).cart).toEqual({ itemCount: 0, lines: [] });
    dataOf(await client.run(userId, 'AddToCart', { productId: first, quantity: 1 }));
    dataOf(await client.run(userId, 'AddToCart', { productId: second, quantity: 1 }));
    const updated = dataOf(await client.run(userId, 'UpdateCartItem', { productId: first, quantity: 3 }));
    expect(updated.updateCartItem).toMatchObject({ itemCount: 4 });
    const removed = dataOf(await client.run(userId, 'RemoveFromCart', { productId: second }));
    expect(removed.removeFromCart).toMatchObject({ itemCount: 3, lines: [{ quantity: 3, product: { id: first } }] });
    expect(dataOf(await client.run(userId, 'Cart')).cart).toMatchObject({
      itemCount: 3,
      lines: [{ quantity: 3, product: { id: first, price: { amount: 12.5, currency: 'USD' } } }],
    });

    // The app's key for this checkout screen: a retry with it returns the same order.
    const checkout = { paymentMethod: CARDS.visa, idempotencyKey: randomUUID() };
    const placed = dataOf(await client.run(userId, 'Checkout', checkout)).checkout as { id: string; status: string };
    expect(placed).toMatchObject({ status: 'PENDING', itemCount: 3, total: { amount: 37.5 } });
    const retried = dataOf(await client.run(userId, 'Checkout', checkout)).checkout as { id: string };
    expect(retried.id).toBe(placed.id);
    expect(dataOf(await client.run(userId, 'Cart')).cart).toEqual({ itemCount: 0, lines: [] });

    const confirmed = await pollStatus(client, userId, placed.id, (o) => o.saga?.state === 'SUCCEEDED');
    expect(confirmed).toMatchObject({ status: 'CONFIRMED', payment: { status: 'CAPTURED' }, cancellation: null });
    expect(confirmed.saga!.steps.map((s) => [s.name, s.status])).toEqual([
      ['RESERVE_STOCK', 'SUCCEEDED'],
      ['CHARGE_PAYMENT', 'SUCCEEDED'],
      ['COMMIT_STOCK', 'SUCCEEDED'],
    ]);

    const cancel = dataOf(await client.run(userId, 'CancelOrder', { orderId: placed.id, reason: 'Changed my mind' }));
    const asked = cancel.cancelOrder as { id: string; cancellation: { state: string } | null };
    expect(asked.id).toBe(placed.id);
    expect(['RUNNING', 'SUCCEEDED']).toContain(asked.cancellation?.state);
    const cancelled = await pollStatus(client, userId, placed.id, (o) => o.status === 'CANCELLED');
    expect(cancelled).toMatchObject({
      statusReason: 'Changed my mind',
      payment: { status: 'REFUNDED' },
      cancellation: { state: 'SUCCEEDED' },
    });
    expect(await ledger.stock(first)).toEqual({ onHand: 10, reserved: 0 });
  });
});

describe('a cart checked out twice at once', () => {
  const PAIRS = 8;

  it('with different keys: one order, one charge; the other call is CART_CHANGED and writes nothing', async () => {
    const productId = await fixtures.createProduct(100);
    const users = await Promise.all(Array.from({ length: PAIRS }, () => fixtures.createUser()));
    await fixtures.fillCarts(users, productId, 2);
    const answers = await Promise.all(
      users.flatMap((userId) => [checkoutAt(fleet.urls.orders, userId), checkoutAt(fleet.urls.orders, userId)]),
    );
    const placed = answers.filter((a) => !a.body.errors).map((a) => (a.body.data!.checkout as { id: string }).id);
    const refused = answers.filter((a) => a.body.errors).map((a) => a.body.errors![0]!.extensions?.code);
    expect(placed).toHaveLength(PAIRS);
    expect(refused).toEqual(Array.from({ length: PAIRS }, () => 'CART_CHANGED'));

    await waitUntil(async () => (await ledger.openSagas()) === 0, 'every saga to finish');
    const orders = await ledger.ordersOf(users);
    expect(orders).toHaveLength(PAIRS);
    expect(new Set(orders.map((o) => o.userId)).size).toBe(PAIRS);
    const books = await ledger.reconcile(placed);
    expect(books.byStatus).toEqual({ CONFIRMED: PAIRS });
    expect(books.maxChargesPerOrder).toBe(1);
    expect(books.paymentsByStatus).toEqual({ CAPTURED: PAIRS });
    expect(await ledger.stock(productId)).toEqual({ onHand: 100 - 2 * PAIRS, reserved: 0 });
    console.log(`double checkouts fired: ${PAIRS} pairs, ${placed.length} orders, ${refused.length} CART_CHANGED`);
  });

  it('an addToCart landing during checkout is either ordered or still in the cart, never lost', async () => {
    const [ordered, added] = [await fixtures.createProduct(100), await fixtures.createProduct(100)];
    const users = await Promise.all(Array.from({ length: PAIRS }, () => fixtures.createUser()));
    await fixtures.fillCarts(users, ordered, 1);
    const add = async (userId: string) =>
      postToSubgraph(
        fleet.urls.orders,
        'mutation($p: ID!) { addToCart(productId: $p, quantity: 1) { itemCount } }',
        { p: added },
        gatewaySigned({ userId, client: 'web' }),
      );
    const outcomes = await Promise.all(
      users.map(async (userId) => {
        const [checkout, addition] = await Promise.all([checkoutAt(fleet.urls.orders, userId), add(userId)]);
        expect(addition.body.errors).toBeUndefined();
        return { userId, checkout };
      }),
    );
    for (const { userId, checkout } of outcomes) {
      const cart = await fixtures.orders.cartItem.findMany({ where: { userId } });
      const orders = await fixtures.orders.orderItem.findMany({ where: { order: { userId } } });
      const units = (productId: string) =>
        [...cart, ...orders].filter((l) => l.productId === productId).reduce((n, l) => n + l.quantity, 0);
      // Each unit the user added is in exactly one place: the order or the cart.
      expect({ ordered: units(ordered), added: units(added) }).toEqual({ ordered: 1, added: 1 });
      if (checkout.body.errors) expect(checkout.body.errors[0]!.extensions?.code).toBe('CART_CHANGED');
    }
    await waitUntil(async () => (await ledger.openSagas()) === 0, 'every saga to finish');
  });
});

describe('reads racing finishing sagas', () => {
  it("never show an order's status and its saga disagreeing", async () => {
    const productId = await fixtures.createProduct(1000);
    const users = await Promise.all(Array.from({ length: 12 }, () => fixtures.createUser()));
    await fixtures.fillCarts(users, productId, 1);
    // Half pay, half are declined: sagas finish SUCCEEDED and COMPENSATED while the reads run.
    const placed = await Promise.all(
      users.map(async (userId, i) => {
        const answer = await checkoutAt(fleet.urls.orders, userId, i % 2 ? CARDS.declined : CARDS.visa);
        return { userId, orderId: (dataOf(answer).checkout as { id: string }).id };
      }),
    );
    const READ = 'query($id: ID!) { order(id: $id) { status saga { state } } }';
    const disagreements: string[] = [];
    let reads = 0;
    await Promise.all(
      placed.map(async ({ userId, orderId }) => {
        const headers = gatewaySigned({ userId, client: 'web' });
        for (;;) {
          const order = dataOf(await postToSubgraph(fleet.urls.orders, READ, { id: orderId }, headers)).order as {
            status: string;
            saga: { state: string };
          };
          reads += 1;
          const { status } = order;
          const state = order.saga.state;
          const agree =
            (state === 'COMPENSATED') === (status === 'FAILED') &&
            (state !== 'SUCCEEDED' || status === 'CONFIRMED') &&
            (status !== 'PENDING' || state === 'RUNNING' || state === 'COMPENSATING');
          if (!agree) disagreements.push(`${orderId}: ${status} / ${state}`);
          if (state === 'SUCCEEDED' || state === 'COMPENSATED') return;
        }
      }),
    );
    console.log(`reads raced: ${reads} over ${placed.length} finishing sagas, ${disagreements.length} disagreeing`);
    expect(disagreements).toEqual([]);
    expect(reads).toBeGreaterThan(placed.length);
  });
});
