import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseEnv, dropDatabasesWithPrefix, uniquePrefix } from '../../test/support/databases.ts';
import { silentLogger } from '../observability/index.ts';
import type { PreparedDatabase, ServicePrisma } from '../subgraph/index.ts';
import { SUBGRAPH_SERVICES } from '../../subgraphs/index.ts';
import { readRows } from './directReads.ts';
import { rowsByKey } from './rowsByKey.ts';

const prefix = uniquePrefix('directreads');
let prepared: PreparedDatabase<ServicePrisma>;
/** Every statement the prepared client's `query` listeners heard: its SQL and which path sent it. */
const heard: Array<{ query: string; target: string }> = [];

beforeAll(async () => {
  prepared = await SUBGRAPH_SERVICES.products.prepare({
    env: databaseEnv(prefix),
    logger: silentLogger(),
    seedScale: 1,
  });
  prepared.prisma.$on('query', (event) => heard.push(event as { query: string; target: string }));
}, 120_000);

afterAll(async () => {
  await prepared?.close();
  await dropDatabasesWithPrefix(prefix);
});

describe('direct reads (Postgres)', () => {
  it('give the rows Prisma gives for the same statement, and count as a statement', async () => {
    const ids = (
      await prepared.prisma.$queryRawUnsafe<Array<{ id: string }>>('SELECT "id" FROM "Product" LIMIT 25')
    ).map((row) => row.id);
    expect(ids.length).toBe(25);
    heard.length = 0;
    const direct = await rowsByKey<{ id: string }>(prepared.prisma, { table: '"Product"', column: '"id"' }, ids);
    expect(heard).toHaveLength(1);
    expect(heard[0]?.target).toBe('direct');
    expect(heard[0]?.query).toContain('"Product"');
    const viaPrisma = await prepared.prisma.$queryRawUnsafe<Array<{ id: string }>>(
      'SELECT * FROM "Product" WHERE "id" = ANY($1::uuid[])',
      ids,
    );
    expect(heard).toHaveLength(2);
    expect(heard[1]?.target).not.toBe('direct');
    const byId = (rows: Array<{ id: string }>) => [...rows].sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(byId(direct)).toEqual(byId(viaPrisma));
    // And what the model's findMany gives, which the loaders promise their resolvers.
    const model = (prepared.prisma as unknown as { product: { findMany(a: unknown): Promise<Array<{ id: string }>> } })
      .product;
    expect(byId(direct)).toEqual(byId(await model.findMany({ where: { id: { in: ids } } })));
  });

  it('map every scalar type as Prisma does: timestamps and dates in UTC, int8 as BigInt, enums as text', async () => {
    const sql = `SELECT 42::int8 AS "big", 7::int4 AS "seven", 1.5::float8 AS "half", true AS "yes",
      DATE '2024-02-29' AS "day", TIMESTAMP '2024-02-29 23:59:58.123' AS "at",
      TIMESTAMPTZ '2024-02-29 23:59:58.5+02' AS "atZone", $1::uuid AS "id", 'x'::text AS "text",
      NULL::text AS "nothing", 'COUNTED'::"RankedOrderState" AS "state", ARRAY['a','b']::text[] AS "list"`;
    const id = '0b7c2f4e-8a51-4c7e-9d3f-2a6b1c0e9f10';
    const direct = await readRows<Record<string, unknown>>(prepared.prisma, sql, id);
    expect(heard.at(-1)?.target).toBe('direct');
    expect(direct).toEqual(await prepared.prisma.$queryRawUnsafe(sql, id));
    expect(direct[0]).toMatchObject({
      big: 42n,
      at: new Date('2024-02-29T23:59:58.123Z'),
      day: new Date('2024-02-29'),
    });
  });

  it('refuse a numeric column rather than answer it differently from Prisma (a Decimal)', async () => {
    await expect(readRows(prepared.prisma, 'SELECT 1.25::numeric AS "price"')).rejects.toThrow(/numeric/);
    // The pool is still usable afterwards.
    expect(await readRows(prepared.prisma, 'SELECT 1::int4 AS "one"')).toEqual([{ one: 1 }]);
  });

  it('leave a client they did not wrap (a transaction) on Prisma', async () => {
    heard.length = 0;
    const rows = await (
      prepared.prisma as unknown as { $transaction<T>(run: (tx: ServicePrisma) => Promise<T>): Promise<T> }
    ).$transaction((tx) => readRows<{ one: number }>(tx, 'SELECT 1::int4 AS "one"'));
    expect(rows).toEqual([{ one: 1 }]);
    expect(heard.map((e) => e.target)).not.toContain('direct');
  });
});
