// The cart and checkout as the web app uses them: through gateway-web with a bearer token, the new
// error code passed on unmasked, the saga readable beside the BFF's own order fields.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../../lib/gateway/index.ts';
import { asUser } from '../../../test/support/auth.ts';
import { postGraphQL, startTestGateway } from '../../../test/support/gateway.ts';
import { CARDS, catalogue, eventually, startOrdersHarness, type OrdersHarness } from './support/harness.ts';

let h: OrdersHarness;
let gateway: RunningGateway;
const products = catalogue();

beforeAll(async () => {
  h = await startOrdersHarness('ordersgateway');
  const { inventory, payments } = h.standIns;
  // Only orders and products answer these operations; the other URLs are never called.
  gateway = await startTestGateway({
    users: h.products.url,
    products: h.products.url,
    inventory: inventory.url,
    orders: h.orders.url,
    payments: payments.url,
    reviews: h.products.url,
  });
});
afterAll(async () => {
  await gateway?.close();
  await h?.close();
});

describe('checkout through gateway-web', () => {
  it("adds to the cart, checks out and confirms, with the saga and the web app's status label", async () => {
    const user = randomUUID();
    const headers = await asUser(user);
    const product = products[80]!;
    const added = await postGraphQL(
      gateway.url,
      `mutation($p: ID!) { addToCart(productId: $p, quantity: 2) { itemCount lines { quantity product { id name price { amountCents } } } } }`,
      { p: product.id },
      headers,
    );
    expect(added.body.errors).toBeUndefined();
    expect(added.body.data).toEqual({
      addToCart: {
        itemCount: 2,
        lines: [
          {
            quantity: 2,
            product: {
              id: product.id,
              name: expect.any(String) as unknown,
              price: { amountCents: product.priceCents },
            },
          },
        ],
      },
    });

    const CHECKOUT = `mutation($input: CheckoutInput!, $key: String!) { checkout(input: $input, idempotencyKey: $key) { id status total { amountCents } } }`;
    const placed = await postGraphQL(
      gateway.url,
      CHECKOUT,
      { input: { paymentMethod: CARDS.visa }, key: 'web-1' },
      headers,
    );
    expect(placed.body.errors).toBeUndefined();
    const order = (placed.body.data as { checkout: { id: string; status: string; total: { amountCents: number } } })
      .checkout;
    expect(order).toMatchObject({ status: 'PENDING', total: { amountCents: 2 * product.priceCents } });

    const confirmed = await eventually(async () => {
      const { body } = await postGraphQL(
        gateway.url,
        `query($id: ID!) { order(id: $id) { status statusLabel saga { state steps { name status } } } }`,
        { id: order.id },
        headers,
      );
      const read = body.data?.order as { status: string; statusLabel: string; saga: { state: string } } | undefined;
      return read?.saga.state === 'SUCCEEDED' ? read : undefined;
    }, 'the order to be confirmed');
    expect(confirmed).toMatchObject({
      status: 'CONFIRMED',
      statusLabel: expect.any(String) as unknown,
      saga: { steps: [{ name: 'RESERVE_STOCK' }, { name: 'CHARGE_PAYMENT' }, { name: 'COMMIT_STOCK' }] },
    });

    const reused = await postGraphQL(
      gateway.url,
      CHECKOUT,
      { input: { paymentMethod: CARDS.mastercard }, key: 'web-1' },
      headers,
    );
    expect(reused.body.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const anonymous = await postGraphQL(gateway.url, CHECKOUT, { input: { paymentMethod: CARDS.visa }, key: 'web-2' });
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
