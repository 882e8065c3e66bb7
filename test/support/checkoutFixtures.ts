import { randomUUID } from 'node:crypto';
import { openServiceDatabase, type ServiceDatabase } from '../../lib/db/index.ts';
import { silentLogger } from '../../lib/observability/index.ts';
import { createPrisma as inventoryPrisma } from '../../subgraphs/inventory/src/db.ts';
import { createPrisma as ordersPrisma } from '../../subgraphs/orders/src/db.ts';
import { createPrisma as productsPrisma } from '../../subgraphs/products/src/db.ts';
import { createPrisma as usersPrisma } from '../../subgraphs/users/src/db.ts';
import { gatewaySigned, postToSubgraph } from './auth.ts';
import { databaseEnv } from './databases.ts';
import type { GraphQLResponse } from './gateway.ts';

export const CARDS = {
  visa: { number: '4242424242424242', expMonth: 12, expYear: 2035, cvc: '123' },
  declined: { number: '4000000000000002', expMonth: 12, expYear: 2035, cvc: '123' },
} as const;

export const CHECKOUT = `mutation($input: CheckoutInput!, $key: String!) {
  checkout(input: $input, idempotencyKey: $key) { id status statusReason total { amountCents } saga { state reason } }
}`;

/**
 * Test data written the way each service would hold it, through each service's own Prisma client
 * on its own database under the test prefix: users (users), products (products), stock (inventory),
 * cart lines (orders).
 */
export class CheckoutFixtures {
  private constructor(
    private readonly databases: ServiceDatabase[],
    readonly users: ReturnType<typeof usersPrisma>,
    readonly products: ReturnType<typeof productsPrisma>,
    readonly inventory: ReturnType<typeof inventoryPrisma>,
    readonly orders: ReturnType<typeof ordersPrisma>,
  ) {}

  static async open(prefix: string): Promise<CheckoutFixtures> {
    const open = (service: string) =>
      openServiceDatabase(service, { env: databaseEnv(prefix), poolSize: 4, logger: silentLogger() });
    const [u, p, i, o] = await Promise.all([open('users'), open('products'), open('inventory'), open('orders')]);
    return new CheckoutFixtures(
      [u, p, i, o],
      usersPrisma(u.adapter),
      productsPrisma(p.adapter),
      inventoryPrisma(i.adapter),
      ordersPrisma(o.adapter),
    );
  }

  async createUser(): Promise<string> {
    const id = randomUUID();
    await this.users.user.create({ data: { id, email: `${id}@proof.test`, name: `Buyer ${id.slice(0, 8)}` } });
    return id;
  }

  /** A product in a new category, with `units` on hand in inventory. */
  async createProduct(units: number, priceCents = 1999): Promise<string> {
    const id = randomUUID();
    const category = await this.products.category.create({
      data: { id: randomUUID(), slug: `proof-${id}`, name: 'Proof' },
    });
    await this.products.product.create({
      data: {
        id,
        sku: `PROOF-${id}`,
        name: 'Proof widget',
        description: 'For the checkout proofs',
        priceCents,
        categoryId: category.id,
      },
    });
    await this.inventory.stockItem.create({ data: { productId: id, onHand: units } });
    return id;
  }

  /** One line per user straight into the orders database (the cart's API has its own tests). */
  async fillCarts(userIds: readonly string[], productId: string, quantity = 1): Promise<void> {
    const addedAt = new Date(Date.now() - 60_000);
    await this.orders.cartItem.createMany({
      data: userIds.map((userId) => ({ userId, productId, quantity, addedAt })),
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.users, this.products, this.inventory, this.orders].map((c) => c.$disconnect()));
    await Promise.all(this.databases.map((d) => d.close()));
  }
}

/** A checkout sent straight to an orders instance, signed as the gateway would for `userId`. */
export function checkoutAt(
  url: string,
  userId: string,
  card: { number: string; expMonth: number; expYear: number; cvc: string } = CARDS.visa,
  key = randomUUID(),
): Promise<GraphQLResponse> {
  return postToSubgraph(
    url,
    CHECKOUT,
    { input: { paymentMethod: card }, key },
    gatewaySigned({ userId, client: 'web' }),
  );
}

/** Polls `read` until it returns something, at most `timeoutMs`: waiting, not timing. */
export async function waitUntil<T>(
  read: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 60_000,
  explain?: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}${explain ? `: ${await explain()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
