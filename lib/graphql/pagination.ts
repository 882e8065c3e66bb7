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

/**
 * An edge whose cursor is encoded only when a query selects it: most fetches (a gateway's plan, a
 * catalog page) ask for the nodes alone, and encoding every row's cursor was a measurable share of a
 * subgraph's CPU on long lists.
 */
class Edge<T extends Cursor> {
  #cursor: string | undefined;
  constructor(readonly node: T) {}
  get cursor(): string {
    return (this.#cursor ??= encodeCursor(this.node));
  }
}

/** `startCursor`/`endCursor` from the edges, likewise encoded only when selected. */
class LazyPageInfo<T extends Cursor> implements PageInfo {
  readonly #edges: readonly Edge<T>[];
  constructor(
    readonly hasNextPage: boolean,
    readonly hasPreviousPage: boolean,
    edges: readonly Edge<T>[],
  ) {
    this.#edges = edges;
  }
  get startCursor(): string | null {
    return this.#edges[0]?.cursor ?? null;
  }
  get endCursor(): string | null {
    return this.#edges.at(-1)?.cursor ?? null;
  }
}

/** Builds a connection from rows fetched with `LIMIT first + 1` (the extra row only says a next page exists). */
export function toConnection<T extends Cursor>(rows: T[], page: PageRequest): Connection<T> {
  const edges = rows.slice(0, page.first).map((node) => new Edge(node));
  return { edges, pageInfo: new LazyPageInfo(rows.length > page.first, page.after !== null, edges) };
}

/** Loader key for a page of a child list: the same page arguments share one batch. */
export function pageKey(page: PageRequest): string {
  return `${page.first}:${page.after ? encodeCursor(page.after) : ''}`;
}
