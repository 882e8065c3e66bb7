import { badUserInput } from '../errors.ts';
import { isUuid } from './ids.ts';

export const MAX_PAGE_SIZE = 100;

/** Keyset position of a row in lists ordered by (createdAt DESC, id DESC). */
export interface Cursor {
  createdAt: Date;
  id: string;
}

export interface PageRequest {
  first: number;
  after: Cursor | null;
}

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: PageInfo;
}

export function encodeCursor(row: Cursor): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

export function decodeCursor(value: string, argumentName = 'after'): Cursor {
  const invalid = () => badUserInput(`"${argumentName}" is not a cursor returned by this list`, argumentName);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalid();
  const [createdAt, id] = parsed as unknown[];
  if (typeof createdAt !== 'string' || typeof id !== 'string' || !isUuid(id)) throw invalid();
  const date = new Date(createdAt);
  if (Number.isNaN(date.getTime())) throw invalid();
  return { createdAt: date, id };
}

/** Validates `first`/`after` of a connection field; the limit applies to every list in the graph. */
export function pageRequest(args: { first?: number | null; after?: string | null }, defaultSize = 20): PageRequest {
  const first = args.first ?? defaultSize;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw badUserInput(`"first" must be between 1 and ${MAX_PAGE_SIZE}, got ${first}`, 'first');
  }
  return { first, after: args.after ? decodeCursor(args.after) : null };
}

/** Builds a connection from rows fetched with `LIMIT first + 1` (the extra row only says a next page exists). */
export function toConnection<T extends Cursor>(rows: T[], page: PageRequest): Connection<T> {
  const nodes = rows.slice(0, page.first);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > page.first,
      hasPreviousPage: page.after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/** Loader key for a page of a child list: the same page arguments share one batch. */
export function pageKey(page: PageRequest): string {
  return `${page.first}:${page.after ? encodeCursor(page.after) : ''}`;
}
