import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { analyzeOperation } from '../graphql/analysis.ts';
import { costModelFromSchema, type CostModel } from '../graphql/cost.ts';

/** A cache policy: the least maxAge and the most restrictive scope of everything the operation selects. */
interface Hint {
  maxAge: number;
  scope: 'PUBLIC' | 'PRIVATE';
}

/**
 * The subgraph's `cache-control` header, computed once per parsed document instead of per resolved
 * field. Apollo Server's cache-control plugin wraps every resolver of every request to read the
 * schema's `@cacheControl` hints field by field (about a sixth of a subgraph's CPU in a profile);
 * our subgraphs never set hints at run time (no `setCacheHint`), so the policy follows from the
 * document alone and lib/graphql/analysis.ts computes it with Apollo's rules (a composite or root
 * field without a hint is maxAge 0, scalars inherit, `_entities` takes its entity types' hints).
 *
 * What the gateway reads (lib/cache/policy.ts `hintFromCacheControl`) stays as Apollo wrote it:
 * `max-age=N, public|private` for a cacheable answer without errors, `no-store` otherwise. The
 * static policy counts every field the document selects, also those a null parent or an empty
 * list leaves unresolved, so it is never longer-lived or more public than Apollo's, at most shorter.
 *
 * Apollo Server keeps parsed documents in its document store (one object per query text), so the
 * WeakMap below hits for every repeat of a gateway's generated fetch, tag fields included.
 */
export function staticCacheControlPlugin(): ApolloServerPlugin<BaseContext> {
  const hintOf = staticCacheHints();
  return {
    requestDidStart() {
      return Promise.resolve({
        willSendResponse({ schema, document, operationName, operation, response, overallCachePolicy }) {
          const headers = response.http.headers;
          // A header someone set on purpose is theirs (Apollo leaves an unparsable one alone too).
          if (headers.has('cache-control')) return Promise.resolve();
          const answered = response.body.kind === 'single' && !response.body.singleResult.errors;
          if (answered && document && operation) overallCachePolicy.restrict(hintOf(schema, document, operationName));
          headers.set('cache-control', cacheControlValue(answered ? overallCachePolicy.policyIfCacheable() : null));
          return Promise.resolve();
        },
      });
    },
  };
}

/**
 * The static hint of an operation of a document, remembered per document object (a document store
 * or the lean path's cache gives the same object for every repeat of a query text).
 */
export function staticCacheHints(): (
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
) => Hint {
  let model: CostModel | null = null;
  const known = new WeakMap<DocumentNode, Map<string, Hint>>();
  return (schema, document, operationName) => {
    let byName = known.get(document);
    if (!byName) {
      byName = new Map();
      known.set(document, byName);
    }
    const key = operationName ?? '';
    let hint = byName.get(key);
    if (!hint) {
      model ??= costModelFromSchema(schema);
      hint = analyzeOperation(model, document, operationName).cacheHint;
      byName.set(key, hint);
    }
    return hint;
  };
}

/**
 * The header for a policy as Apollo's `policyIfCacheable` gives it (null: not cacheable), written
 * as Apollo writes it: what the gateway's `hintFromCacheControl` reads.
 */
export function cacheControlValue(policy: { maxAge: number; scope: 'PUBLIC' | 'PRIVATE' } | null): string {
  return policy ? `max-age=${policy.maxAge}, ${policy.scope.toLowerCase()}` : 'no-store';
}

/** What Apollo's overall policy (`newCachePolicy`) gives once restricted by `hint` alone: not cacheable at maxAge 0. */
export function policyOfHint(hint: Hint): Hint | null {
  return hint.maxAge === 0 ? null : hint;
}
