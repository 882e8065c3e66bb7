// DataLoader batching across the federation: a dashboard-like query costs the same number of SQL
// statements in every subgraph whether it lists 5 orders or 50.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countQueries, type QueryCounter } from '../lib/db/index.ts';
import type { RunningServer } from '../lib/http/index.ts';
import { HEAVY_BUYER_ID } from '../lib/seed/index.ts';
import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/services.ts';
import { asUser } from './support/auth.ts';
import { postGraphQL, startTestGateway } from './support/gateway.ts';
import { startSeededSubgraphs } from './support/seededStack.ts';
import type { SubgraphFleet } from './support/subgraphs.ts';

const ORDERS_WITH_EVERYTHING = /* GraphQL */ `
  query OrderHistory($userId: ID!, $first: Int!) {
    user(id: $userId) {
      name
      orders(first: $first) {
        totalCount
        edges {
          node {
            id
            status
            total {
              amount
            }
            items {
              quantity
              unitPrice {
                amount
              }
              product {
                name
                price {
                  amount
                  currency
                }
                stock {
                  available
                  reserved
                }
                averageRating
                reviews(first: 2) {
                  totalCount
                  edges {
                    node {
                      rating
                      author {
                        name
                      }
                    }
                  }
                }
              }
            }
            payment {
              status
              method {
                brand
                last4
              }
            }
          }
        }
      }
    }
  }
`;

let fleet: SubgraphFleet;
let gateway: RunningServer;
let counters: Record<SubgraphName, QueryCounter>;

beforeAll(async () => {
  fleet = await startSeededSubgraphs();
  gateway = await startTestGateway(fleet.urls);
  counters = Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => [name, countQueries(fleet.servers[name].prisma)]),
  ) as Record<SubgraphName, QueryCounter>;
});

afterAll(async () => {
  await gateway?.close();
  await fleet?.close();
});

async function statementsFor(first: number) {
  Object.values(counters).forEach((c) => c.reset());
  // Signed in as the buyer: orders and payments are only shown to their owner.
  const { status, body } = await postGraphQL(
    gateway.url,
    ORDERS_WITH_EVERYTHING,
    { userId: HEAVY_BUYER_ID, first },
    await asUser(HEAVY_BUYER_ID),
  );
  expect(status).toBe(200);
  expect(body.errors).toBeUndefined();
  const user = body.data?.user as {
    orders: { edges: Array<{ node: { items: Array<{ product: { name: string } }>; payment: unknown } }> };
  };
  return {
    user,
    perService: Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, counters[name].count])) as Record<
      SubgraphName,
      number
    >,
  };
}

describe('batching', () => {
  it('sends as many SQL statements for 50 orders as for 5, in every subgraph', async () => {
    const five = await statementsFor(5);
    const fifty = await statementsFor(50);

    expect(five.user.orders.edges).toHaveLength(5);
    expect(fifty.user.orders.edges).toHaveLength(50);
    const products = fifty.user.orders.edges.flatMap((e) => e.node.items.map((i) => i.product.name));
    expect(products.length).toBeGreaterThan(50);
    expect(fifty.user.orders.edges.every((e) => e.node.payment !== null)).toBe(true);

    expect(fifty.perService).toEqual(five.perService);
    const total = Object.values(fifty.perService).reduce((a, b) => a + b, 0);
    // users x2 (the user, then review authors), products 1, inventory 1, orders 3 (page, count, items),
    // payments 1, reviews 2 (page, stats): anything more means a resolver escaped its loader.
    expect(total).toBeLessThanOrEqual(10);
    console.log(
      `SQL statements for 5 orders: ${JSON.stringify(five.perService)}; for 50: ${JSON.stringify(fifty.perService)} (total ${total})`,
    );
  });
});
