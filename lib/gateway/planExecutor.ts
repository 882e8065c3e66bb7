import {
  GraphQLError,
  isAbstractType,
  isInterfaceType,
  isObjectType,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationTypeNode,
} from 'graphql';
import type { GraphQLDataSource } from '@apollo/gateway';
import type {
  FetchDataRewrite,
  FetchNode,
  PlanNode,
  QueryPlan,
  QueryPlanSelectionNode,
  ResponsePath,
} from '@apollo/query-planner';
import { ERRORS, errorCodeDef } from '@apollo/federation-internals';
import type { GatewayGraphQLRequestContext, GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { trace, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { tracingEnabled } from '../observability/index.ts';
import { withoutStack } from '../errors.ts';

/**
 * Our query-plan executor: the semantics of @apollo/gateway's executeQueryPlan.ts (same fetches,
 * same representations, same merge, same error paths), with each fetch's representation builder
 * compiled once per plan and no federation `Operation` built per request.
 */
type ResultMap = Record<string, unknown>;
type CursorData = ResultMap | ResultMap[];

interface Cursor {
  path: ResponsePath;
  data: CursorData;
  fullResult: ResultMap;
}

/** One subgraph fetch of a plan, as our executor hands it to a data source that takes it directly. */
export interface PlanFetch {
  request: { query: string; variables: Record<string, unknown>; operationName: string | undefined };
  /** The planner's kind for the fetch (queries may be retried). */
  operationKind: OperationTypeNode;
  incomingRequestContext: GatewayGraphQLRequestContext;
}

/**
 * A data source our executor calls without Apollo's `process` request kinds and options
 * (lib/gateway/subgraphClient.ts); others are called through `process` as Apollo's executor does.
 */
export interface PlanFetchSource {
  fetchForPlan(fetch: PlanFetch): Promise<GatewayGraphQLResponse>;
}

function takesPlanFetches(source: GraphQLDataSource): source is GraphQLDataSource & PlanFetchSource {
  return typeof (source as Partial<PlanFetchSource>).fetchForPlan === 'function';
}

/** What the executor needs besides the plan: the subgraphs' data sources and the supergraph (for type conditions). */
export interface PlanExecutionDeps {
  services: ReadonlyMap<string, GraphQLDataSource>;
  supergraphSchema: GraphQLSchema;
}

interface Execution {
  deps: PlanExecutionDeps;
  requestContext: GatewayGraphQLRequestContext;
  /** Coerced variables (defaults applied), for Condition nodes. */
  variables: Record<string, unknown>;
  errors: GraphQLError[];
  compiled: CompiledPlan;
  tracer: Tracer | null;
}

/** Per-fetch work done once per plan: the requires selection as a function, the rewrites' parsed paths. */
interface CompiledFetch {
  representation: ((source: ResultMap) => ResultMap | null) | null;
  inputRewrites: CompiledRewrite[] | null;
  outputRewrites: CompiledRewrite[] | null;
}

export interface CompiledPlan {
  fetches: Map<FetchNode, CompiledFetch>;
}

interface CompiledRewrite {
  parent: { kind: 'field' | 'type'; value: string }[];
  apply: (object: ResultMap) => void;
}

const hasOwn = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);
const isObject = (value: unknown): value is ResultMap =>
  value !== undefined && value !== null && typeof value === 'object' && !Array.isArray(value);

function defineOwn(object: object, key: string) {
  if (!hasOwn(object, key) && key in object)
    Object.defineProperty(object, key, { configurable: true, enumerable: true, value: undefined, writable: true });
}

/** @apollo/gateway's deepMerge (utilities/deepMerge.ts). */
export function deepMerge(target: ResultMap, source: unknown): ResultMap {
  if (source === undefined || source === null) return target;
  const from = source as ResultMap;
  for (const key of Object.keys(from)) {
    const value = from[key];
    if (value === undefined) continue;
    defineOwn(target, key);
    const existing = target[key];
    if (existing && isObject(value)) {
      deepMerge(existing as ResultMap, value);
    } else if (Array.isArray(value) && Array.isArray(existing) && value.length === existing.length) {
      for (let i = 0; i < value.length; i += 1) {
        const a: unknown = existing[i];
        const b: unknown = value[i];
        if (isObject(a) && isObject(b)) deepMerge(a, b);
        else existing[i] = b;
      }
    } else {
      target[key] = value;
    }
  }
  return target;
}

/** dataRewrites.ts' isObjectOfType, over the supergraph. */
function isObjectOfType(schema: GraphQLSchema, object: ResultMap, condition: string, defaultOnUnknown: boolean) {
  const typename = object.__typename;
  if (!typename) return defaultOnUnknown;
  if (condition === typename) return true;
  if (typeof typename !== 'string') return false;
  const type = schema.getType(typename);
  const conditional = schema.getType(condition);
  if (!type || !conditional) return false;
  return (
    isAbstractType(conditional) && (isObjectType(type) || isInterfaceType(type)) && schema.isSubType(conditional, type)
  );
}

function compileRewrites(rewrites: FetchDataRewrite[] | undefined): CompiledRewrite[] | null {
  if (!rewrites?.length) return null;
  return rewrites.flatMap((rewrite): CompiledRewrite[] => {
    if (rewrite.path.length === 0) return [];
    const last = rewrite.path[rewrite.path.length - 1]!;
    if (last.startsWith('... on ')) throw new Error(`Unexpected fragment as last element of ${rewrite.path.join(',')}`);
    const parent = rewrite.path
      .slice(0, -1)
      .map((element) =>
        element.startsWith('... on ')
          ? { kind: 'type' as const, value: element.slice('... on '.length) }
          : { kind: 'field' as const, value: element },
      );
    const apply =
      rewrite.kind === 'ValueSetter'
        ? (object: ResultMap) => {
            defineOwn(object, last);
            object[last] = rewrite.setValueTo as unknown;
          }
        : (object: ResultMap) => {
            const at = hasOwn(object, last) ? object[last] : undefined;
            if (at) {
              defineOwn(object, rewrite.renameKeyTo);
              object[rewrite.renameKeyTo] = at;
              object[last] = undefined;
            }
          };
    return [{ parent, apply }];
  });
}

function applyRewrites(schema: GraphQLSchema, rewrites: CompiledRewrite[] | null, value: unknown) {
  if (!rewrites) return;
  for (const rewrite of rewrites) applyAt(schema, rewrite.parent, 0, value, rewrite.apply);
}

function applyAt(
  schema: GraphQLSchema,
  path: CompiledRewrite['parent'],
  at: number,
  value: unknown,
  apply: (object: ResultMap) => void,
): void {
  if (Array.isArray(value)) {
    for (const element of value) applyAt(schema, path, at, element, apply);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const object = value as ResultMap;
  if (at === path.length) {
    apply(object);
    return;
  }
  const element = path[at]!;
  if (element.kind === 'field')
    applyAt(schema, path, at + 1, hasOwn(object, element.value) ? object[element.value] : undefined, apply);
  else if (isObjectOfType(schema, object, element.value, true)) applyAt(schema, path, at + 1, object, apply);
}

/**
 * The fetch's `requires` as a function from an entity to its representation: executeQueryPlan.ts'
 * executeSelectionSet, with the selections walked once here rather than per entity.
 */
function compileSelection(
  schema: GraphQLSchema,
  selections: readonly QueryPlanSelectionNode[],
): (source: ResultMap | null) => ResultMap | null {
  const steps = selections.map((selection) => {
    if (selection.kind === 'Field') {
      const responseName = selection.alias ?? selection.name;
      const sub = selection.selections ? compileSelection(schema, selection.selections) : null;
      return { kind: 'field' as const, responseName, sub };
    }
    const typeCondition = selection.typeCondition ?? null;
    return { kind: 'fragment' as const, typeCondition, sub: compileSelection(schema, selection.selections) };
  });
  return (source) => {
    if (source === null) return null;
    const result: ResultMap = Object.create(null) as ResultMap;
    for (const step of steps) {
      if (step.kind === 'field') {
        const name = step.responseName;
        if (!hasOwn(source, name) || source[name] === undefined) return null;
        const value = source[name];
        if (Array.isArray(value)) {
          const sub = step.sub;
          result[name] = sub ? value.map((v) => sub(v as ResultMap | null)) : value.slice();
        } else if (step.sub) {
          result[name] = step.sub(value as ResultMap | null);
        } else {
          result[name] = value;
        }
      } else if (step.typeCondition && isObjectOfType(schema, source, step.typeCondition, false)) {
        deepMerge(result, step.sub(source));
      }
    }
    return result;
  };
}

/** Compiles every fetch of the plan; throws for what this executor does not run (the caller falls back). */
export function compilePlan(plan: QueryPlan, schema: GraphQLSchema): CompiledPlan {
  const fetches = new Map<FetchNode, CompiledFetch>();
  const visit = (node: PlanNode): void => {
    switch (node.kind) {
      case 'Sequence':
      case 'Parallel':
        node.nodes.forEach(visit);
        return;
      case 'Flatten':
        visit(node.node);
        return;
      case 'Condition':
        if (node.ifClause) visit(node.ifClause);
        if (node.elseClause) visit(node.elseClause);
        return;
      case 'Fetch':
        if (node.contextRewrites?.length) throw new UnsupportedPlan('context rewrites');
        if (node.hasDefers) throw new UnsupportedPlan('defer');
        fetches.set(node, {
          representation: node.requires ? compileSelection(schema, node.requires) : null,
          inputRewrites: compileRewrites(node.inputRewrites),
          outputRewrites: compileRewrites(node.outputRewrites),
        });
        return;
      case 'Defer':
        throw new UnsupportedPlan('defer');
      default:
        throw new UnsupportedPlan(`plan node ${(node as { kind: string }).kind}`);
    }
  };
  if (plan.node) {
    if (plan.node.kind === 'Subscription') throw new UnsupportedPlan('subscription');
    visit(plan.node);
  }
  return { fetches };
}

/** A plan this executor does not run: the operation goes to Apollo's executor. */
export class UnsupportedPlan extends Error {}

/** Runs the plan into a fresh result map; errors (with paths) collected as Apollo's executor does. */
export async function executePlan(
  plan: QueryPlan,
  compiled: CompiledPlan,
  deps: PlanExecutionDeps,
  requestContext: GatewayGraphQLRequestContext,
  variables: Record<string, unknown>,
): Promise<{ data: ResultMap; errors: GraphQLError[] }> {
  const data: ResultMap = Object.create(null) as ResultMap;
  const execution: Execution = {
    deps,
    requestContext,
    variables,
    errors: [],
    compiled,
    tracer: tracingEnabled() ? trace.getTracer('bff-gateway') : null,
  };
  const node = plan.node;
  if (node && node.kind !== 'Subscription') await executeNode(execution, node, { path: [], data, fullResult: data });
  return { data, errors: execution.errors };
}

async function executeNode(execution: Execution, node: PlanNode, cursor: Cursor | undefined): Promise<void> {
  if (!cursor) return;
  switch (node.kind) {
    case 'Sequence':
      for (const child of node.nodes) await executeNode(execution, child, cursor);
      return;
    case 'Parallel':
      await Promise.all(node.nodes.map((child) => executeNode(execution, child, cursor)));
      return;
    case 'Flatten':
      await executeNode(execution, node.node, moveIntoCursor(cursor, node.path));
      return;
    case 'Fetch':
      try {
        await traced(execution, node.serviceName, () => executeFetch(execution, node, cursor));
      } catch (error) {
        execution.errors.push(error as GraphQLError);
      }
      return;
    case 'Condition': {
      const value = execution.variables[node.condition];
      if (typeof value !== 'boolean') throw new Error(`Invalid non-boolean value for variable $${node.condition}`);
      const branch = value ? node.ifClause : node.elseClause;
      if (branch) await executeNode(execution, branch, cursor);
      return;
    }
    case 'Defer':
      throw new UnsupportedPlan('defer');
  }
}

/** The `gateway.fetch` span Apollo's executor opens around each fetch (only when tracing is on). */
async function traced(execution: Execution, service: string, run: () => Promise<void>): Promise<void> {
  if (!execution.tracer) return run();
  return execution.tracer.startActiveSpan('gateway.fetch', { attributes: { service } }, async (span) => {
    try {
      return await run();
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

function moveIntoCursor(cursor: Cursor, path: ResponsePath): Cursor | undefined {
  const data = flattenAt(cursor.data, path, 0);
  return data ? { path: cursor.path.concat(path), data: data as CursorData, fullResult: cursor.fullResult } : undefined;
}

function flattenAt(value: unknown, path: ResponsePath, at: number): unknown {
  if (at === path.length) return value;
  if (value === undefined || value === null) return value;
  const current = path[at];
  if (current === '@') {
    if (!Array.isArray(value)) throw new TypeError('value.flatMap is not a function');
    const out: unknown[] = [];
    for (const element of value) {
      const inner = flattenAt(element, path, at + 1);
      if (Array.isArray(inner)) for (const x of inner) out.push(x);
      else out.push(inner);
    }
    return out;
  }
  if (typeof current !== 'string') throw new Error(`Unexpected ${typeof current} found in path`);
  if (Array.isArray(value)) throw new Error(`Unexpected array in result for path element ${current}`);
  const object = value as ResultMap;
  return flattenAt(hasOwn(object, current) ? object[current] : undefined, path, at + 1);
}

async function executeFetch(execution: Execution, fetch: FetchNode, cursor: Cursor): Promise<void> {
  const service = execution.deps.services.get(fetch.serviceName);
  if (!service) throw new Error(`Couldn't find service with name "${fetch.serviceName}"`);
  const compiled = execution.compiled.fetches.get(fetch);
  if (!compiled) throw new Error('fetch not compiled with its plan');
  const schema = execution.deps.supergraphSchema;
  let entities: ResultMap[];
  if (Array.isArray(cursor.data)) {
    entities = [];
    for (const entity of cursor.data) if (entity !== null && entity !== undefined) entities.push(entity);
  } else {
    entities = [cursor.data];
  }
  if (entities.length < 1) return;

  const variables: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const provided = execution.requestContext.request.variables;
  if (fetch.variableUsages && provided) {
    for (const name of fetch.variableUsages)
      if (hasOwn(provided, name) && provided[name] !== undefined) variables[name] = provided[name];
  }

  if (!compiled.representation) {
    const received = await send(execution, service, fetch, cursor, variables);
    if (received) applyRewrites(schema, compiled.outputRewrites, received);
    for (const entity of entities) deepMerge(entity, received);
    return;
  }

  const representations: ResultMap[] = [];
  const owners: ResultMap[] = [];
  for (const entity of entities) {
    const representation = compiled.representation(entity);
    if (representation && representation.__typename) {
      applyRewrites(schema, compiled.inputRewrites, representation);
      representations.push(representation);
      owners.push(entity);
    }
  }
  if (representations.length < 1) return;
  if ('representations' in variables) throw new Error(`Variables cannot contain key "representations"`);
  variables.representations = representations;
  const received = await send(execution, service, fetch, cursor, variables);
  if (!received) return;
  const list = received._entities;
  if (!Array.isArray(list)) throw new Error(`Expected "data._entities" in response to be an array`);
  if (list.length !== representations.length)
    throw new Error(`Expected "data._entities" to contain ${representations.length} elements`);
  for (let i = 0; i < owners.length; i += 1) {
    const entity = list[i] as ResultMap | null | undefined;
    const owner = owners[i]!;
    if (entity && !entity.__typename) entity.__typename = owner.__typename;
    applyRewrites(schema, compiled.outputRewrites, entity);
    deepMerge(owner, entity);
  }
}

async function send(
  execution: Execution,
  service: GraphQLDataSource,
  fetch: FetchNode,
  cursor: Cursor,
  variables: Record<string, unknown>,
): Promise<ResultMap | null | undefined> {
  const { requestContext } = execution;
  const request = { query: fetch.operation, variables, operationName: fetch.operationName };
  const response = takesPlanFetches(service)
    ? await service.fetchForPlan({
        request,
        operationKind: fetch.operationKind,
        incomingRequestContext: requestContext,
      })
    : await service.process({
        // GraphQLDataSourceRequestKind.INCOMING_OPERATION (the enum is not exported).
        kind: 'incoming operation' as never,
        request,
        incomingRequestContext: requestContext,
        context: requestContext.context,
        document: fetch.operationDocumentNode,
        pathInIncomingRequest: cursor.path,
      });
  if (response.errors) {
    const pathOf = lazyErrorPaths(fetch, cursor);
    for (const error of response.errors) execution.errors.push(downstreamError(error, fetch.serviceName, pathOf));
    if (!response.extensions?.ftv1) {
      const paths = response.errors.map((error) => ({ subgraph: fetch.serviceName, path: error.path }));
      const metrics = requestContext.metrics;
      if (metrics.nonFtv1ErrorPaths) metrics.nonFtv1ErrorPaths.push(...paths);
      else metrics.nonFtv1ErrorPaths = paths;
    }
  }
  return response.data as ResultMap | null | undefined;
}

type ErrorPath = readonly (string | number)[] | undefined;

/** executeQueryPlan.ts' makeLazyErrorPathGenerator: `_entities` indexes mapped to the paths they came from. */
function lazyErrorPaths(fetch: FetchNode, cursor: Cursor): (path: ErrorPath) => ErrorPath {
  let hydrated: ResponsePath[] | undefined;
  return (errorPath) => {
    if (fetch.requires && typeof errorPath?.[1] === 'number') {
      if (!hydrated) {
        hydrated = [];
        hydratePaths([], cursor.path, 0, cursor.fullResult, hydrated);
      }
      return [...(hydrated[errorPath[1]] ?? []), ...errorPath.slice(2)];
    }
    return errorPath ? [...cursor.path, ...errorPath] : undefined;
  };
}

function hydratePaths(parent: ResponsePath, path: ResponsePath, at: number, data: unknown, out: ResponsePath[]): void {
  if (data === null || data === undefined) return;
  const head = path[at];
  if (head === undefined) {
    out.push(parent.slice());
  } else if (head === '@') {
    if (!Array.isArray(data)) throw new Error('expected array when encountering `@`');
    data.forEach((value, i) => {
      parent.push(i);
      hydratePaths(parent, path, at + 1, value, out);
      parent.pop();
    });
  } else if (typeof head === 'string') {
    if (Array.isArray(data)) {
      data.forEach((value, i) => {
        parent.push(i);
        hydratePaths(parent, path, at, value, out);
        parent.pop();
      });
    } else if (hasOwn(data, head)) {
      parent.push(head);
      hydratePaths(parent, path, at + 1, (data as ResultMap)[head], out);
      parent.pop();
    }
  } else {
    throw new Error(`unknown path part "${String(head)}"`);
  }
}

/** executeQueryPlan.ts' downstreamServiceError: the subgraph's name added, a known code kept, else DOWNSTREAM_SERVICE_ERROR. */
function downstreamError(
  original: GraphQLFormattedError,
  serviceName: string,
  pathOf: (path: ErrorPath) => ErrorPath,
): GraphQLError {
  const message = original.message || `Error while fetching subquery from service "${serviceName}"`;
  const options = {
    originalError: original as Error,
    path: pathOf(original.path),
    extensions: { ...original.extensions, serviceName },
  };
  const codeDef = errorCodeDef(original);
  // The subgraph's answer relayed: a stack of the gateway's own frames would tell nothing.
  return withoutStack(() =>
    !codeDef && original.extensions?.code
      ? new GraphQLError(message, options)
      : (codeDef ?? ERRORS.DOWNSTREAM_SERVICE_ERROR).err(message, options),
  );
}
