import { Kind, OperationTypeNode, parse, print, type DocumentNode } from 'graphql';
import type { RequestGuard } from '../http/index.ts';
import { operationId, type PersistedQueryManifest } from './persistedOperations.ts';

/** Apollo Server looks persisted queries up under this prefix (its APQ cache keys). */
const APQ_PREFIX = 'apq:';

/**
 * Apollo's APQ cache interface, read-only over the manifest: an id resolves only if it was
 * registered at build time, and clients can never register new ones at run time.
 */
export function manifestCache(manifest: PersistedQueryManifest) {
  const bodies = new Map(manifest.operations.map((o) => [o.id, o.body]));
  return {
    // eslint-disable-next-line @typescript-eslint/require-await -- Apollo's KeyValueCache interface returns Promises
    async get(key: string): Promise<string | undefined> {
      return key.startsWith(APQ_PREFIX) ? bodies.get(key.slice(APQ_PREFIX.length)) : undefined;
    },
    async set(): Promise<void> {},
    // eslint-disable-next-line @typescript-eslint/require-await -- Apollo's KeyValueCache interface returns Promises
    async delete(): Promise<boolean> {
      return false;
    },
  };
}

function parsed(query: string, maxTokens: number): DocumentNode | null {
  try {
    return parse(query, { maxTokens });
  } catch {
    return null;
  }
}

const INTROSPECTION_FIELDS = new Set(['__schema', '__type', '__typename']);

/** Only the schema's own description: what GraphiQL asks for its docs and completion. */
function isIntrospectionOnly(document: DocumentNode): boolean {
  return document.definitions.every((definition) => {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) return definition.typeCondition.name.value.startsWith('__');
    if (definition.kind !== Kind.OPERATION_DEFINITION || definition.operation !== OperationTypeNode.QUERY) return false;
    return definition.selectionSet.selections.every(
      (s) => s.kind === Kind.FIELD && INTROSPECTION_FIELDS.has(s.name.value),
    );
  });
}

function queryText(body: unknown, searchParams: URLSearchParams): unknown {
  if (typeof body === 'object' && body !== null && 'query' in body) return body.query;
  return searchParams.get('query') ?? undefined;
}

/**
 * Safelisting, as Apollo Router's persisted queries do it: a request names a registered operation by
 * its id; a query text is admitted only when it is one of the registered operations (so the
 * playground can run them), and in development so is a pure introspection query (so the playground
 * can show the schema). Anything else is refused at the HTTP layer, before Apollo validates or plans it.
 */
export function registeredOperationsOnly(
  manifest: PersistedQueryManifest,
  options: { maxTokens: number; allowIntrospection: boolean },
): RequestGuard {
  const registered = new Set(manifest.operations.map((o) => o.id));
  return ({ body, searchParams }) => {
    const query = queryText(body, searchParams);
    if (query === undefined || query === null) return null;
    const document = typeof query === 'string' ? parsed(query, options.maxTokens) : null;
    if (document && registered.has(operationId(print(document)))) return null;
    // Development only (introspection is off in production anyway): lets the playground load the schema.
    if (document && options.allowIntrospection && isIntrospectionOnly(document)) return null;
    return {
      code: 'PERSISTED_QUERY_NOT_IN_LIST',
      message:
        'This gateway only runs registered operations: send the id of an operation from the persisted query manifest',
    };
  };
}
