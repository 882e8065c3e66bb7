import type { ServerResponse } from 'node:http';
import {
  execute,
  getOperationAST,
  parse,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
  OperationTypeNode,
  type OperationDefinitionNode,
} from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { remembered } from '../cache/memo.ts';
import { asGraphQLError, formatErrorsAsApollo } from '../graphql/apolloErrors.ts';
import { NegotiatedContentTypes, type FrontHandler, type FrontRequest, type RequestInfo } from '../http/index.ts';
import { tracingEnabled } from '../observability/index.ts';
import type { RequestOutcome } from '../observability/metrics/subgraph.ts';
import { cacheControlValue, policyOfHint, staticCacheHints } from './cacheControl.ts';

export interface LeanExecutionOptions<TContext> {
  /** The schema Apollo serves (buildSubgraphSchema's, with `_service` and `_entities`). */
  schema: GraphQLSchema;
  /** The subgraph's context factory, the same Apollo gets. */
  context: (info: RequestInfo) => Promise<TContext>;
  /** The `formatError` Apollo was given. */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** Counts an answered request in the subgraph's metrics, as their Apollo plugin does. */
  observe?: (outcome: RequestOutcome) => void;
  /** Query texts whose parsed, validated document is kept (the oldest goes first). */
  capacity?: number;
}

/** One operation of a valid document, ready to run. */
interface PreparedOperation {
  operation: OperationDefinitionNode;
  /** The `cache-control` header of an answer without errors (lib/subgraph/cacheControl.ts). */
  cacheControl: string;
  /** The operation compiled by graphql-jit, or null where graphql-js `execute` runs it. */
  compiled:
    ((context: unknown, variables: Record<string, unknown> | undefined) => PromiseOrValue<ExecutionResult>) | null;
}
type PromiseOrValue<T> = Promise<T> | T;

interface PreparedDocument {
  document: DocumentNode;
  operation(name: string | null): PreparedOperation | null;
}

interface LeanRequest {
  query: string;
  variables: Record<string, unknown> | undefined;
  operationName: string | null;
}

const DEFAULT_CAPACITY = 500;
/** Longer texts are left to Apollo rather than kept (at most ~16 MB of text kept): the gateways' fetches are a few KB. */
const MAX_QUERY_CHARS = 32 * 1024;
/** Distinct `accept` headers whose negotiated content type is remembered. */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
/** Introspection is Apollo's to answer or refuse (it is off in production); `__typename` is not introspection. */
const INTROSPECTION = /\b__(?:schema|type)\b/;

/**
 * A subgraph's requests without Apollo Server's per-request pipeline: a query text seen before is
 * parsed and validated once, its operation's cache policy computed once, and every repeat goes
 * straight to execution with the schema and context Apollo would use. The gateways send the same
 * few generated fetches again and again, so nearly every request takes this path.
 *
 * A query is executed by graphql-jit, which compiles the operation once into plain functions (no
 * per-field argument coercion, path bookkeeping or promise-for-object walks per request: half the
 * reviews subgraph's CPU on the bench's deep query); anything it cannot compile, and mutations, run
 * on graphql-js. test/lean-jit.test.ts holds it to graphql-js's bytes over the subgraphs' real queries.
 *
 * What a client sees is Apollo's answer: the same status, `content-type` (the one Apollo
 * negotiated for the request's `accept`, learned from its answers), `cache-control`, body bytes
 * (`{"errors":...,"data":...}` and a newline) and errors formatted the same way (`formatError`,
 * `extensions.code`, `extensions.http` taken off into the response's status and headers). A
 * refused context (a missing or bad gateway signature) is answered as Apollo answers it.
 *
 * Anything whose answer is Apollo's own words is left to Apollo (the handler returns false before
 * writing): GET, batches, persisted queries and other extensions, a parse or validation error,
 * introspection, an unknown operation name, variables that do not coerce (no resolver has run),
 * an `accept` value not negotiated yet, and every request while tracing (its operation span).
 */
export class LeanExecution<TContext> {
  private readonly prepared: (query: string) => PreparedDocument | null;
  private readonly contentTypes = new NegotiatedContentTypes([['', JSON_CONTENT_TYPE]]);
  /** Executions by graphql-jit's compiled operation and by graphql-js (not compiled, or answered with errors). */
  readonly runs = { compiled: 0, interpreted: 0 };

  constructor(private readonly options: LeanExecutionOptions<TContext>) {
    const { schema } = options;
    const hintOf = staticCacheHints();
    this.prepared = remembered(options.capacity ?? DEFAULT_CAPACITY, (query): PreparedDocument | null => {
      if (query.length > MAX_QUERY_CHARS || INTROSPECTION.test(query)) return null;
      let document: DocumentNode;
      try {
        document = parse(query);
      } catch {
        return null;
      }
      if (validate(schema, document).length > 0) return null;
      const operations = new Map<string, PreparedOperation | null>();
      return {
        document,
        operation(name) {
          const key = name ?? '';
          const known = operations.get(key);
          if (known !== undefined) return known;
          const operation = getOperationAST(document, name);
          const prepared = operation
            ? {
                operation,
                cacheControl: cacheControlValue(policyOfHint(hintOf(schema, document, name))),
                compiled: compiledOperation(schema, document, operation, name),
              }
            : null;
          operations.set(key, prepared);
          return prepared;
        },
      };
    });
  }

  readonly handler: FrontHandler = {
    answer: (request) => this.answer(request),
    answered: (request, response) => this.contentTypes.learn(request, response),
  };

  private async answer({ req, res, method, body, info }: FrontRequest): Promise<boolean> {
    const startedAt = performance.now();
    if (method !== 'POST' || tracingEnabled()) return false;
    const request = leanRequestOf(body);
    const contentType = this.contentTypes.of({ req });
    if (!request || !contentType) return false;

    // The context first, as Apollo: a request without a valid signature makes nothing parse.
    let contextValue: TContext;
    try {
      contextValue = await this.options.context(info);
    } catch (error) {
      const { errors, status, headers } = formatErrorsAsApollo(
        [asGraphQLError(error, 'Context creation failed: ')],
        this.options.formatError,
      );
      // Apollo's error answer puts its negotiated content type over any the error asked for.
      headers?.delete('content-type');
      writeAnswer(res, status ?? 500, headers, contentType, null, { errors });
      return true;
    }
    const document = this.prepared(request.query);
    const prepared = document?.operation(request.operationName);
    if (!document || !prepared) return false;

    const interpreted = () => {
      this.runs.interpreted++;
      return execute({
        schema: this.options.schema,
        document: document.document,
        contextValue,
        variableValues: request.variables,
        operationName: request.operationName,
      });
    };
    let result: ExecutionResult;
    if (prepared.compiled) {
      this.runs.compiled++;
      result = await prepared.compiled(contextValue, request.variables);
    } else result = await interpreted();
    // graphql-jit's data and errors equal graphql-js's, but not always its order of errors (when they
    // surface in different ticks): an answer with errors is graphql-js's own. Only queries are
    // compiled, so running one again only reads again (and its loaders already hold what it read).
    if (prepared.compiled && result.errors) result = await interpreted();
    // No data at all: the variables did not coerce, which Apollo answers with a 400 in its words.
    if (result.data === undefined) return false;

    const formatted = result.errors ? formatErrorsAsApollo(result.errors, this.options.formatError) : null;
    const errors = formatted?.errors;
    writeAnswer(
      res,
      formatted?.status ?? 200,
      formatted?.headers ?? null,
      contentType,
      errors ? 'no-store' : prepared.cacheControl,
      errors ? { errors, data: result.data } : { data: result.data },
    );
    this.options.observe?.({
      operationType: prepared.operation.operation,
      errors: errors ?? [],
      hasData: result.data !== null,
      startedAt,
    });
    return true;
  }
}

/**
 * A query compiled by graphql-jit; null for a mutation (its fields run one after another, and a
 * resolver may read `info`: graphql-js runs them as Apollo does) or what graphql-jit cannot compile.
 */
function compiledOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  name: string | null,
): PreparedOperation['compiled'] {
  if (operation.operation !== OperationTypeNode.QUERY) return null;
  try {
    const compiled = compileQuery(schema, document, name ?? undefined);
    if (!isCompiledQuery(compiled)) return null;
    return (context, variables) => compiled.query(undefined, context, variables);
  } catch {
    return null;
  }
}

/** The POST body as Apollo reads it, when it is one the lean path takes; null leaves it to Apollo. */
function leanRequestOf(body: unknown): LeanRequest | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const { query, variables, operationName, extensions } = body as Record<string, unknown>;
  if (typeof query !== 'string' || query === '') return null;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;
  if (variables !== undefined && variables !== null && !isRecord(variables)) return null;
  if (extensions !== undefined && extensions !== null && !(isRecord(extensions) && isEmpty(extensions))) return null;
  return {
    query,
    variables: isRecord(variables) ? variables : undefined,
    operationName: typeof operationName === 'string' ? operationName : null,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEmpty(value: Record<string, unknown>): boolean {
  for (const _key in value) return false;
  return true;
}

/** Headers in Apollo's order of precedence: the errors' own, then cache-control, then content type. */
function writeAnswer(
  res: ServerResponse,
  status: number,
  headers: Map<string, string> | null,
  contentType: string,
  cacheControl: string | null,
  body: { errors?: GraphQLFormattedError[]; data?: unknown },
): void {
  if (headers) for (const [name, value] of headers) res.setHeader(name, value);
  if (cacheControl !== null && !headers?.has('cache-control')) res.setHeader('cache-control', cacheControl);
  if (!headers?.has('content-type')) res.setHeader('content-type', contentType);
  res.statusCode = status;
  res.end(`${JSON.stringify(body)}\n`);
}
