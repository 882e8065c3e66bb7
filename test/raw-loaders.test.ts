// The hot entity loaders read rows with raw SQL (lib/db/rowsByKey.ts) instead of Prisma's findMany:
// on seeded data they must return exactly what findMany returned, row for row and value for value.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsByKey } from '../lib/db/index.ts';
import { silentLogger } from '../lib/observability/index.ts';
import type { ServicePrisma } from '../lib/subgraph/index.ts';
import { SUBGRAPH_SERVICES } from '../subgraphs/index.ts';
import { createLoaders as inventoryLoaders } from '../subgraphs/inventory/src/loaders.ts';
import type { InventoryPrisma } from '../subgraphs/inventory/src/db.ts';
import { createLoaders as productsLoaders } from '../subgraphs/products/src/loaders.ts';
import type { ProductsPrisma } from '../subgraphs/products/src/db.ts';
import { createLoaders as reviewsLoaders } from '../subgraphs/reviews/src/loaders.ts';
import type { ReviewsPrisma } from '../subgraphs/reviews/src/db.ts';
import { createLoaders as usersLoaders } from '../subgraphs/users/src/loaders.ts';
import { createLoaders as ordersLoaders } from '../subgraphs/orders/src/loaders.ts';
import type { OrdersPrisma } from '../subgraphs/orders/src/db.ts';
import { createLoaders as paymentsLoaders } from '../subgraphs/payments/src/loaders.ts';
import type { PaymentsPrisma } from '../subgraphs/payments/src/db.ts';
import type { UsersPrisma } from '../subgraphs/users/src/db.ts';
import { encodeCursor } from '../lib/graphql/index.ts';
import { afterCursor, prismaWhere, productConditions } from '../subgraphs/products/src/filters.ts';
import { Query as ProductsQuery } from '../subgraphs/products/src/resolvers/Query.ts';
import type { Context as ProductsContext } from '../subgraphs/products/src/context.ts';
import { databaseEnv, dropDatabasesWithPrefix, uniquePrefix } from './support/databases.ts';

const prefix = uniquePrefix('rawloaders');
const env = databaseEnv(prefix);
const opened: Array<{ close(): Promise<void> }> = [];
let products: ProductsPrisma;
let users: UsersPrisma;
let inventory: InventoryPrisma;
let reviews: ReviewsPrisma;
let orders: OrdersPrisma;
let payments: PaymentsPrisma;

async function prepare(
  name: 'products' | 'users' | 'inventory' | 'reviews' | 'orders' | 'payments',
): Promise<ServicePrisma> {
  const prepared = await SUBGRAPH_SERVICES[name].prepare({ env, logger: silentLogger(), seedScale: 1 });
  opened.push(prepared);
  return prepared.prisma;
}

beforeAll(async () => {
  products = (await prepare('products')) as ProductsPrisma;
  users = (await prepare('users')) as UsersPrisma;
  inventory = (await prepare('inventory')) as InventoryPrisma;
  reviews = (await prepare('reviews')) as ReviewsPrisma;
  orders = (await prepare('orders')) as OrdersPrisma;
  payments = (await prepare('payments')) as PaymentsPrisma;
}, 180_000);

afterAll(async () => {
  await Promise.all(opened.map((p) => p.close()));
  await dropDatabasesWithPrefix(prefix);
});

const UNKNOWN = '00000000-0000-4000-8000-00000000ffff';

describe('raw SQL entity loaders', () => {
  it('products: productById gives what findMany gave, unknown ids null', async () => {
    const expected = await products.product.findMany({ orderBy: { id: 'asc' } });
    expect(expected.length).toBeGreaterThan(20);
    const ids = expected.map((p) => p.id);
    const raw = await rowsByKey(products, { table: '"Product"', column: '"id"' }, ids);
    expect([...raw].sort((a, b) => ((a as { id: string }).id < (b as { id: string }).id ? -1 : 1))).toStrictEqual(
      expected,
    );
    const loaded = await productsLoaders(products).productById.loadMany([...ids.slice(0, 22).reverse(), UNKNOWN]);
    expect(loaded).toStrictEqual([...expected.slice(0, 22).reverse(), null]);
  });

  it('products: categoryById gives what findMany gave', async () => {
    const expected = await products.category.findMany({ orderBy: { id: 'asc' } });
    expect(expected.length).toBeGreaterThan(2);
    const loaded = await productsLoaders(products).categoryById.loadMany([...expected.map((c) => c.id), UNKNOWN]);
    expect(loaded).toStrictEqual([...expected, null]);
  });

  it('reviews: statsByProduct gives the count and mean rating Prisma groupBy gave', async () => {
    const groups = await reviews.review.groupBy({ by: ['productId'], _count: { _all: true }, _avg: { rating: true } });
    expect(groups.length).toBeGreaterThan(20);
    const expected = groups.map((g) => ({
      productId: g.productId,
      count: g._count._all,
      averageRating: g._avg.rating,
    }));
    const loaded = await reviewsLoaders(reviews).statsByProduct.loadMany([
      ...expected.map((g) => g.productId),
      UNKNOWN,
    ]);
    expect(loaded).toStrictEqual([...expected, null]);
  });

  it('users: userById gives what findMany gave, nullable columns included', async () => {
    const expected = await users.user.findMany({ orderBy: { id: 'asc' } });
    expect(expected.some((u) => u.addressLine2 === null)).toBe(true);
    const ids = expected.map((u) => u.id);
    const loaded = await usersLoaders(users).userById.loadMany([...ids, UNKNOWN]);
    expect(loaded).toStrictEqual([...expected, null]);
  });

  it('inventory: stockByProduct gives what findMany gave', async () => {
    const expected = await inventory.stockItem.findMany({ orderBy: { productId: 'asc' } });
    expect(expected.length).toBeGreaterThan(20);
    const ids = expected.map((s) => s.productId);
    const loaded = await inventoryLoaders(inventory).stockByProduct.loadMany([...ids, UNKNOWN]);
    expect(loaded).toStrictEqual([...expected, null]);
  });

  it('reviews: reviewById and countByAuthor give what findMany and groupBy gave', async () => {
    const expected = await reviews.review.findMany({ orderBy: { id: 'asc' } });
    expect(expected.length).toBeGreaterThan(20);
    const loaders = reviewsLoaders(reviews);
    expect(await loaders.reviewById.loadMany([...expected.map((r) => r.id), UNKNOWN])).toStrictEqual([
      ...expected,
      null,
    ]);
    const groups = await reviews.review.groupBy({ by: ['authorId'], _count: { _all: true } });
    expect(groups.length).toBeGreaterThan(5);
    expect(await loaders.countByAuthor.loadMany([UNKNOWN, ...groups.map((g) => g.authorId)])).toStrictEqual([
      null,
      ...groups.map((g) => ({ authorId: g.authorId, count: g._count._all })),
    ]);
  });

  it('products: productCountByCategory gives what groupBy gave', async () => {
    const groups = await products.product.groupBy({ by: ['categoryId'], _count: { _all: true } });
    expect(groups.length).toBeGreaterThan(2);
    const loaded = await productsLoaders(products).productCountByCategory.loadMany([
      ...groups.map((g) => g.categoryId),
      UNKNOWN,
    ]);
    expect(loaded).toStrictEqual([...groups.map((g) => ({ categoryId: g.categoryId, count: g._count._all })), null]);
  });

  it('payments: paymentById and paymentByOrder give what findMany gave', async () => {
    const expected = await payments.payment.findMany({ orderBy: { id: 'asc' } });
    expect(expected.length).toBeGreaterThan(20);
    expect(new Set(expected.map((p) => p.status)).size).toBeGreaterThan(1);
    const loaders = paymentsLoaders(payments);
    expect(await loaders.paymentById.loadMany([...expected.map((p) => p.id), UNKNOWN])).toStrictEqual([
      ...expected,
      null,
    ]);
    expect(await loaders.paymentByOrder.loadMany([UNKNOWN, ...expected.map((p) => p.orderId)])).toStrictEqual([
      null,
      ...expected,
    ]);
  });

  it("orders: a dashboard's items, order counts and spending give what findMany and groupBy gave", async () => {
    const all = await orders.order.findMany({ orderBy: { id: 'asc' } });
    const userIds = [...new Set(all.map((o) => o.userId))];
    expect(userIds.length).toBeGreaterThan(5);
    const loaders = ordersLoaders(orders);

    const orderIds = all.map((o) => o.id);
    const items = await orders.orderItem.findMany({
      where: { orderId: { in: orderIds } },
      orderBy: [{ orderId: 'asc' }, { position: 'asc' }],
    });
    expect(items.length).toBeGreaterThan(orderIds.length);
    expect(await loaders.itemsByOrder.loadMany([...orderIds, UNKNOWN])).toStrictEqual([
      ...orderIds.map((id) => items.filter((i) => i.orderId === id)),
      [],
    ]);

    const counts = await orders.order.groupBy({ by: ['userId'], _count: { _all: true } });
    expect(await loaders.orderCountByUser.loadMany([...userIds, UNKNOWN])).toStrictEqual([
      ...userIds.map((userId) => ({ userId, count: counts.find((g) => g.userId === userId)?._count._all })),
      null,
    ]);

    for (const days of [1, 7, 30, 90, 366]) {
      const groups = await orders.order.groupBy({
        by: ['userId'],
        where: {
          userId: { in: userIds },
          status: { in: ['CONFIRMED', 'SHIPPED', 'DELIVERED'] },
          createdAt: { gte: new Date(Date.now() - days * 86_400_000) },
        },
        _count: { _all: true },
        _sum: { totalCents: true },
      });
      const expected = userIds.map((userId) => {
        const g = groups.find((x) => x.userId === userId);
        return g ? { userId, orderCount: g._count._all, totalCents: g._sum.totalCents ?? 0 } : null;
      });
      if (days === 366) expect(expected.filter(Boolean).length).toBeGreaterThan(3);
      expect({ days, rows: await loaders.spendingByUser(days).loadMany(userIds) }).toStrictEqual({
        days,
        rows: expected,
      });
    }
  });

  it('products: the catalog page read directly gives what findMany and count gave', async () => {
    type Page = {
      edges: Array<{ node: unknown }>;
      pageInfo: { hasNextPage: boolean };
      totalCount: () => Promise<number>;
    };
    const resolve = ProductsQuery.products as unknown as (
      parent: unknown,
      args: Record<string, unknown>,
      context: Pick<ProductsContext, 'prisma'>,
    ) => Promise<Page>;
    const slug = (await products.category.findFirstOrThrow({ orderBy: { name: 'asc' } })).slug;
    const newest = await products.product.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: 7 });
    const after = encodeCursor(newest[6] as { createdAt: Date; id: string });
    const cases: Array<Record<string, unknown>> = [
      { first: 20 },
      { first: 5, filter: { maxPrice: 10_000.5 } },
      { first: 100, filter: { minPrice: 20, maxPrice: 60 } },
      { first: 3, filter: { category: slug } },
      { first: 4, after },
      { first: 50, after, filter: { category: slug, minPrice: 1 } },
      { first: 2, filter: { maxPrice: 0 } },
    ];
    for (const args of cases) {
      const conditions = productConditions(args.filter as Parameters<typeof productConditions>[0]);
      const cursor = args.after
        ? { createdAt: (newest[6] as { createdAt: Date }).createdAt, id: (newest[6] as { id: string }).id }
        : null;
      const where = prismaWhere(conditions);
      const rows = await products.product.findMany({
        where: { AND: [where, afterCursor(cursor)] },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: (args.first as number) + 1,
      });
      const page = await resolve(null, args, { prisma: products });
      expect({ args, nodes: page.edges.map((e) => e.node) }).toStrictEqual({
        args,
        nodes: rows.slice(0, args.first as number),
      });
      expect(page.pageInfo.hasNextPage).toBe(rows.length > (args.first as number));
      expect(await page.totalCount()).toBe(await products.product.count({ where }));
    }
  });
});
