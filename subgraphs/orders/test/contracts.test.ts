// Replays what the gateways (and any other consumer) recorded in subgraphs/orders/contracts/ against
// this subgraph: a change here that breaks a consumer fails with that consumer named. The cart and
// checkout operations need the services orders calls (products for prices, inventory and payments for
// the saga): they run beside it on their own seeded databases, and the provider state is a demo-user
// order placed through checkout (with the key and card the Checkout contract replays) and a cart.
// CancelOrder replays its recorded values: the seeded order placed through checkout, which the
// cancellation saga refunds and restocks through those services.
import { afterAll, beforeAll } from 'vitest';
import { silentLogger } from '../../../lib/observability/index.ts';
import { urlVariable, type SubgraphName } from '../../../lib/services.ts';
import type { ServicePrisma, StartedSubgraph } from '../../../lib/subgraph/index.ts';
import { TEST_SIGNING_SECRET } from '../../../test/support/auth.ts';
import { waitUntil } from '../../../test/support/checkoutFixtures.ts';
import { replayContracts, type SendAsService } from '../../../test/support/contracts.ts';
import { databaseEnv, dropDatabasesWithPrefix, uniquePrefix } from '../../../test/support/databases.ts';
import { SUBGRAPH_SERVICES } from '../../index.ts';

const CALLED: SubgraphName[] = ['products', 'inventory', 'payments'];
const prefix = uniquePrefix('contractsorderscalled');
const called: Array<StartedSubgraph<ServicePrisma>> = [];
const urls: Record<string, string> = {};

beforeAll(async () => {
  const env = { ...databaseEnv(prefix), GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET };
  for (const name of CALLED) {
    const server = await SUBGRAPH_SERVICES[name].start({ env, port: 0, logger: silentLogger(), seedScale: 1 });
    called.push(server);
    urls[urlVariable(name)] = server.url;
  }
}, 120_000);

afterAll(async () => {
  for (const server of called) await server.close();
  await dropDatabasesWithPrefix(prefix);
});

/** Products the demo user bought (seeded), with stock. */
const [ORDERED, KEPT] = ['31b09fd3-3b15-5f8e-8e86-af46c39222e4', 'fdbd7e2e-b734-50e9-8ec7-c70c085d6cd0'];
/** The Checkout contract's recorded values: replaying it returns this order. */
const CHECKOUT = {
  paymentMethod: { number: '4242 4242 4242 4242', expMonth: 12, expYear: 2035, cvc: '123' },
  idempotencyKey: 'playground-demo-checkout-1',
};

async function ok(send: Promise<Awaited<ReturnType<SendAsService>>>): Promise<Record<string, unknown>> {
  const { body } = await send;
  if (body.errors) throw new Error(`provider state: ${JSON.stringify(body.errors)}`);
  return body.data!;
}

replayContracts('orders', {
  env: () => urls,
  async given(_send, asUser) {
    const add = (productId: string) =>
      ok(asUser('mutation($p: ID!) { addToCart(productId: $p, quantity: 1) { itemCount } }', { p: productId }));
    await add(ORDERED);
    const placed = await ok(
      asUser(
        'mutation($paymentMethod: PaymentCardInput!, $idempotencyKey: String!) { checkout(input: { paymentMethod: $paymentMethod }, idempotencyKey: $idempotencyKey) { id } }',
        CHECKOUT,
      ),
    );
    const orderId = (placed.checkout as { id: string }).id;
    await waitUntil(async () => {
      const data = await ok(asUser('query($id: ID!) { order(id: $id) { saga { state } } }', { id: orderId }));
      return (data.order as { saga: { state: string } }).saga.state === 'SUCCEEDED';
    }, 'the provider-state checkout to succeed');
    // A cart of two lines: removing or updating one leaves lines to answer with.
    await add(ORDERED);
    await add(KEPT);
    return { OrderStatus: { id: orderId } };
  },
});
