import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, toConnection } from './pagination.ts';

const row = (i: number) => ({
  id: `00000000-0000-4000-8000-00000000000${i}`,
  createdAt: new Date(Date.UTC(2026, 0, 10 - i)),
  name: `row ${i}`,
});

describe('toConnection', () => {
  it('gives each edge its node and the cursor of that node, encoded when read', () => {
    const rows = [row(1), row(2), row(3)];
    const connection = toConnection(rows, { first: 2, after: null });
    expect(connection.edges.map((e) => e.node)).toEqual([rows[0], rows[1]]);
    expect(connection.edges.map((e) => e.cursor)).toEqual([encodeCursor(rows[0]!), encodeCursor(rows[1]!)]);
    expect(decodeCursor(connection.edges[1]!.cursor)).toEqual({ id: rows[1]!.id, createdAt: rows[1]!.createdAt });
  });

  it('says whether more pages exist and where the page starts and ends', () => {
    const rows = [row(1), row(2), row(3)];
    const more = toConnection(rows, { first: 2, after: { id: rows[0]!.id, createdAt: rows[0]!.createdAt } });
    expect({ ...more.pageInfo, startCursor: more.pageInfo.startCursor, endCursor: more.pageInfo.endCursor }).toEqual({
      hasNextPage: true,
      hasPreviousPage: true,
      startCursor: encodeCursor(rows[0]!),
      endCursor: encodeCursor(rows[1]!),
    });
    const last = toConnection(rows, { first: 5, after: null });
    expect([last.pageInfo.hasNextPage, last.pageInfo.hasPreviousPage, last.pageInfo.endCursor]).toEqual([
      false,
      false,
      encodeCursor(rows[2]!),
    ]);
    const empty = toConnection([], { first: 5, after: null });
    expect([empty.edges.length, empty.pageInfo.startCursor, empty.pageInfo.endCursor]).toEqual([0, null, null]);
  });
});
