import type { GraphQLFormattedError } from 'graphql';

interface EntityRequest {
  variables?: Record<string, unknown>;
}

interface EntityResponse {
  data?: Record<string, unknown> | null;
  errors?: readonly GraphQLFormattedError[];
}

/** An entity fetch with its repeated representations removed, and the way back to the planner's shape. */
export interface DedupedEntityFetch<TRequest> {
  request: TRequest;
  /** How many representations the planner asked for, and how many went out. */
  asked: number;
  sent: number;
  expand<TResponse extends EntityResponse>(response: TResponse): TResponse;
}

/** Representations the planner asked entity fetches for, and how many went out once repeats were removed. */
export interface EntityDedupStats {
  asked: number;
  sent: number;
}

/**
 * A representation's identity: `Type\u0000id` for the usual `{ __typename, id }` with a string id
 * (no JSON to write), its JSON for anything else (the planner writes keys in one order).
 */
function keyOf(representation: unknown): string {
  if (typeof representation === 'object' && representation !== null) {
    const { __typename: type, id } = representation as { __typename?: unknown; id?: unknown };
    if (typeof type === 'string' && typeof id === 'string' && Object.keys(representation).length === 2)
      return `${type}\u0000${id}`;
  }
  return JSON.stringify(representation);
}

/** Counts one entity fetch (deduped or not: a fetch with nothing repeated sends all it was asked). */
export function countRepresentations(
  stats: EntityDedupStats,
  request: EntityRequest,
  deduped: DedupedEntityFetch<unknown> | null,
): void {
  const representations = request.variables?.representations;
  if (!Array.isArray(representations)) return;
  stats.asked += representations.length;
  stats.sent += deduped ? deduped.sent : representations.length;
}

/**
 * Apollo's planner sends one representation per occurrence: the deep catalog asks the products
 * subgraph for the same product once under every review that names it. Identical representations
 * (same JSON: the planner writes them with the same key order) go to the subgraph once; the answer
 * is copied back to every position, each error repeated at every position its entity held. Null when
 * the fetch is not an entity fetch or has nothing repeated.
 */
export function dedupeRepresentations<TRequest extends EntityRequest>(
  request: TRequest,
): DedupedEntityFetch<TRequest> | null {
  const representations = request.variables?.representations;
  if (!Array.isArray(representations) || representations.length < 2) return null;
  const positionOf = new Map<string, number>();
  const unique: unknown[] = [];
  const slots = new Array<number>(representations.length);
  for (let i = 0; i < representations.length; i += 1) {
    const key = keyOf(representations[i]);
    let slot = positionOf.get(key);
    if (slot === undefined) {
      slot = unique.length;
      positionOf.set(key, slot);
      unique.push(representations[i]);
    }
    slots[i] = slot;
  }
  if (unique.length === representations.length) return null;
  return {
    request: { ...request, variables: { ...request.variables, representations: unique } },
    asked: representations.length,
    sent: unique.length,
    expand(response) {
      const entities = response.data?._entities;
      const data =
        Array.isArray(entities) && entities.length === unique.length
          ? { ...response.data, _entities: slots.map((slot): unknown => (entities as unknown[])[slot]) }
          : response.data;
      const errors = response.errors?.flatMap((error) => {
        const [root, index, ...rest] = error.path ?? [];
        if (root !== '_entities' || typeof index !== 'number') return [error];
        const at: GraphQLFormattedError[] = [];
        slots.forEach((slot, i) => {
          if (slot === index) at.push({ ...error, path: ['_entities', i, ...rest] });
        });
        return at;
      });
      return { ...response, data, ...(errors ? { errors } : {}) };
    },
  };
}
