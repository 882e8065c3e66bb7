// The cart: the signed-in user's only, quantities and sizes validated with the argument named, the
// product checked against the products subgraph, nothing written on a refusal.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogue, startOrdersHarness, type OrdersHarness } from './support/harness.ts';

let h: OrdersHarness;
const products = catalogue();

beforeAll(async () => {
  h = await startOrdersHarness('cart');
});
afterAll(() => h?.close());

const CART = `{ cart { itemCount lines { product { id } quantity } } }`;
const ADD = `mutation($productId: ID!, $quantity: Int!) { addToCart(productId: $productId, quantity: $quantity) { itemCount lines { product { id } quantity } } }`;
const UPDATE = `mutation($productId: ID!, $quantity: Int!) { updateCartItem(productId: $productId, quantity: $quantity) { itemCount lines { product { id } quantity } } }`;
const REMOVE = `mutation($productId: ID!) { removeFromCart(productId: $productId) { itemCount lines { product { id } quantity } } }`;

type CartAnswer = { itemCount: number; lines: Array<{ product: { id: string }; quantity: number }> };

async function cartOf(userId: string): Promise<CartAnswer> {
  const { body } = await h.gql(userId, CART);
  expect(body.errors).toBeUndefined();
  return (body.data as { cart: CartAnswer }).cart;
}

function errorOf(body: { errors?: Array<{ extensions?: Record<string, unknown> }> }) {
  expect(body.errors).toHaveLength(1);
  return body.errors![0]!.extensions!;
}

describe('cart', () => {
  it('adds, merges, updates and removes lines, in the order first added', async () => {
    const user = randomUUID();
    expect(await cartOf(user)).toEqual({ itemCount: 0, lines: [] });
    const [a, b] = [products[0]!.id, products[1]!.id];
    await h.gql(user, ADD, { productId: a, quantity: 2 });
    await h.gql(user, ADD, { productId: b, quantity: 1 });
    const merged = await h.gql(user, ADD, { productId: a, quantity: 3 });
    expect((merged.body.data as { addToCart: CartAnswer }).addToCart).toEqual({
      itemCount: 6,
      lines: [
        { product: { id: a }, quantity: 5 },
        { product: { id: b }, quantity: 1 },
      ],
    });
    await h.gql(user, UPDATE, { productId: b, quantity: 7 });
    expect((await cartOf(user)).lines[1]).toEqual({ product: { id: b }, quantity: 7 });
    await h.gql(user, UPDATE, { productId: a, quantity: 0 });
    expect(await cartOf(user)).toEqual({ itemCount: 7, lines: [{ product: { id: b }, quantity: 7 }] });
    const removed = await h.gql(user, REMOVE, { productId: b });
    expect((removed.body.data as { removeFromCart: CartAnswer }).removeFromCart).toEqual({ itemCount: 0, lines: [] });
  });

  it("is each signed-in user's own; anonymous callers get UNAUTHENTICATED", async () => {
    const [alice, bob] = [randomUUID(), randomUUID()];
    await h.gql(alice, ADD, { productId: products[2]!.id, quantity: 1 });
    expect((await cartOf(bob)).lines).toEqual([]);
    expect((await cartOf(alice)).lines).toHaveLength(1);
    const anonymousRead = await h.gql(null, CART);
    expect(errorOf(anonymousRead.body).code).toBe('UNAUTHENTICATED');
    const anonymousAdd = await h.gql(null, ADD, { productId: products[2]!.id, quantity: 1 });
    expect(errorOf(anonymousAdd.body).code).toBe('UNAUTHENTICATED');
  });

  it('refuses bad quantities, unknown or malformed products, naming the argument, and writes nothing', async () => {
    const user = randomUUID();
    const product = products[3]!.id;
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ productId: product, quantity: 0 }, ADD, 'quantity'],
      [{ productId: product, quantity: 1001 }, ADD, 'quantity'],
      [{ productId: product, quantity: -1 }, UPDATE, 'quantity'],
      [{ productId: product, quantity: 1001 }, UPDATE, 'quantity'],
      [{ productId: 'not-a-uuid', quantity: 1 }, ADD, 'productId'],
      [{ productId: randomUUID(), quantity: 1 }, ADD, 'productId'],
      [{ productId: randomUUID(), quantity: 1 }, UPDATE, 'productId'],
    ];
    for (const [variables, mutation, argumentName] of cases) {
      const { body } = await h.gql(user, mutation, variables);
      expect(errorOf(body)).toMatchObject({ code: 'BAD_USER_INPUT', argumentName });
    }
    await h.gql(user, ADD, { productId: product, quantity: 600 });
    const over = await h.gql(user, ADD, { productId: product, quantity: 401 });
    expect(errorOf(over.body)).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: 'quantity' });
    expect(await cartOf(user)).toEqual({ itemCount: 600, lines: [{ product: { id: product }, quantity: 600 }] });
  });

  it('holds at most 100 lines, even when adds race', async () => {
    const user = randomUUID();
    await h.db.cartItem.createMany({
      data: products.slice(0, 95).map((p) => ({ userId: user, productId: p.id, quantity: 1 })),
    });
    const racing = await Promise.all(
      products.slice(95, 105).map((p) => h.gql(user, ADD, { productId: p.id, quantity: 1 })),
    );
    const refused = racing.filter((r) => r.body.errors);
    expect(refused).toHaveLength(5);
    for (const r of refused)
      expect(errorOf(r.body)).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: 'productId' });
    expect(await h.db.cartItem.count({ where: { userId: user } })).toBe(100);
    // A product already in a full cart can still change quantity.
    const more = await h.gql(user, ADD, { productId: products[0]!.id, quantity: 1 });
    expect(more.body.errors).toBeUndefined();
  });
});
