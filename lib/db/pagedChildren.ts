import type { PageRequest } from '../graphql/pagination.ts';
import { readRows } from './directReads.ts';

/** The raw-query surface every generated Prisma client has. */
export interface RawQuerier {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

export interface ChildList {
  /** Quoted table name, a constant of the calling service: never user input. */
  table: string;
  /** Quoted column holding the parent's id. */
  parentColumn: string;
}

export type WithParent<T> = T & { parentId: string };

/**
 * One page of children for many parents in a single statement: a LATERAL subquery per parent walks
 * the (parent, createdAt, id) index newest first and stops after `first + 1` rows, so the cost is
 * bounded by the page size, not by how many children a parent has.
 */
export async function fetchChildPages<T>(
  db: RawQuerier,
  list: ChildList,
  parentIds: readonly string[],
  page: PageRequest,
): Promise<Array<WithParent<T>>> {
  const cursorClause = page.after ? `AND (c."createdAt", c."id") < ($3::timestamp, $4::uuid)` : '';
  const sql = `SELECT p."parentId", c.* FROM unnest($1::uuid[]) AS p("parentId")
    CROSS JOIN LATERAL (
      SELECT * FROM ${list.table} c
      WHERE c.${list.parentColumn} = p."parentId" ${cursorClause}
      ORDER BY c."createdAt" DESC, c."id" DESC
      LIMIT $2
    ) c`;
  const params: unknown[] = [parentIds, page.first + 1];
  if (page.after) params.push(page.after.createdAt.toISOString(), page.after.id);
  return readRows<WithParent<T>>(db, sql, ...params);
}
