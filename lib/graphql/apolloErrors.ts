// Apollo Server's error normalization (`ensureGraphQLError`, `normalizeAndFormatErrors`), which it
// does not export, for the paths that answer before its pipeline (the gateways' known-query path, the
// subgraphs' lean execution): their answers must carry exactly the errors, status and headers
// Apollo's would, which the byte-for-byte equivalence tests of both hold them to.
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** Apollo's `ensureGraphQLError(ensureError(error), prefix)`: a thrown non-Error gets no prefix. */
export function asGraphQLError(error: unknown, prefix = ''): GraphQLError {
  if (error instanceof GraphQLError) return error;
  if (!(error instanceof Error)) return new GraphQLError(`Unexpected error value: ${String(error)}`);
  return new GraphQLError(prefix + error.message, { originalError: error });
}

/** `extensions.http` as Apollo accepts it: an optional numeric status and an optional Map of headers. */
function httpOf(value: unknown): { status?: number; headers?: Map<string, string> } | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { status, headers } = value as { status?: unknown; headers?: unknown };
  if (status !== undefined && typeof status !== 'number') return null;
  if (headers !== undefined && !(headers instanceof Map)) return null;
  return { status, headers: headers as Map<string, string> | undefined };
}

export interface ApolloFormattedErrors {
  errors: GraphQLFormattedError[];
  /** The last status an error's `extensions.http` asked for. */
  status: number | undefined;
  /** Headers the errors' `extensions.http` set, in order; null when none did. */
  headers: Map<string, string> | null;
}

/**
 * Errors as Apollo's `normalizeAndFormatErrors` gives them (no stack traces): a missing code becomes
 * INTERNAL_SERVER_ERROR, `extensions.http` moves into the response's status and headers, then
 * `formatError`; an error in formatting becomes a bare INTERNAL_SERVER_ERROR.
 */
export function formatErrorsAsApollo(
  errors: readonly unknown[],
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
): ApolloFormattedErrors {
  let status: number | undefined;
  let headers: Map<string, string> | null = null;
  const list = errors.map((error) => {
    try {
      const graphqlError = asGraphQLError(error);
      // graphql-jit's errors have no `extensions` at all where graphql-js's have an empty object.
      const own = graphqlError.extensions as GraphQLError['extensions'] | undefined;
      const extensions: Record<string, unknown> = { ...own, code: own?.code ?? 'INTERNAL_SERVER_ERROR' };
      const http = httpOf(extensions.http);
      if (http) {
        if (http.status) status = http.status;
        for (const [name, value] of http.headers ?? []) (headers ??= new Map()).set(name, value);
        delete extensions.http;
      }
      return formatError({ ...graphqlError.toJSON(), extensions }, error);
    } catch {
      return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    }
  });
  return { errors: list, status, headers };
}
