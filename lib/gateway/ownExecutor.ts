import { getVariableValues, GraphQLError, Kind, OperationTypeNode, type FragmentDefinitionNode } from 'graphql';
import type { GraphQLDataSource } from '@apollo/gateway';
import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { QueryPlanner, type QueryPlan } from '@apollo/query-planner';
import type {
  GatewayExecutionResult,
  GatewayExecutor,
  GatewayGraphQLRequestContext,
  GatewayInterface,
} from '@apollo/server-gateway-interface';
import { trace } from '@opentelemetry/api';
import { remembered } from '../cache/memo.ts';
import { tracingEnabled } from '../observability/index.ts';
import { compilePlan, executePlan, UnsupportedPlan, type CompiledPlan } from './planExecutor.ts';
import { compileShape, shapeResponse, UnsupportedOperation, type ShapeProgram } from './responseShape.ts';

/** Which executor runs query plans: Apollo's executeQueryPlan, or ours (lib/gateway/planExecutor.ts). */
export type PlanExecutorKind = 'apollo' | 'own';

/** Operations our executor ran, and those it handed to Apollo's (with why). */
export interface PlanExecutionStats {
  own: number;
  fallback: number;
  fallbackReasons: Record<string, number>;
}

export const newPlanExecutionStats = (): PlanExecutionStats => ({ own: 0, fallback: 0, fallbackReasons: {} });

/** Everything about one (document, operation) computed once: Apollo's plan, its fetches compiled, the answer's shape. */
type Prepared =
  | {
      kind: 'own';
      plan: QueryPlan;
      compiled: CompiledPlan;
      shape: ShapeProgram;
      hasVariables: boolean;
    }
  | { kind: 'fallback'; reason: string };

const PREPARED_CAPACITY = 2_000;

/**
 * The gateway's executor with query plans run by ours: plans come from Apollo's QueryPlanner over the
 * same supergraph (the plan ApolloGateway would compute), remembered per operation together with
 * what our executor precomputes for them. Fetches go to the same data sources with the same request
 * context. What ours does not run (introspection, @defer, subscriptions, unusual plans) goes to
 * Apollo's executor, counted in `stats`.
 */
export function executingPlansOurselves(
  gateway: GatewayInterface,
  deps: {
    supergraphSdl: string;
    services: ReadonlyMap<string, GraphQLDataSource>;
    stats: PlanExecutionStats;
  },
): GatewayInterface {
  return {
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
    stop: () => gateway.stop(),
    load: async (options) => {
      const loaded = await gateway.load(options);
      if (!loaded.executor) return loaded;
      return { ...loaded, executor: ownExecutor(loaded.executor, deps) };
    },
  };
}

function ownExecutor(
  apollo: GatewayExecutor,
  deps: { supergraphSdl: string; services: ReadonlyMap<string, GraphQLDataSource>; stats: PlanExecutionStats },
): GatewayExecutor {
  const supergraph = Supergraph.build(deps.supergraphSdl);
  const apiSchema = supergraph.apiSchema();
  const planner = new QueryPlanner(supergraph);
  const supergraphSchema = supergraph.schema.toGraphQLJSSchema();
  const executionDeps = { services: deps.services, supergraphSchema };
  const { stats } = deps;

  const prepare = (requestContext: GatewayGraphQLRequestContext): Prepared => {
    const { document, operation, operationName } = requestContext;
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of document.definitions)
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    let shape: ShapeProgram;
    try {
      shape = compileShape(requestContext.schema, operation, fragments);
    } catch (error) {
      if (error instanceof UnsupportedOperation) return { kind: 'fallback', reason: error.message };
      throw error;
    }
    if (operation.operation === OperationTypeNode.SUBSCRIPTION) return { kind: 'fallback', reason: 'subscription' };
    let plan: QueryPlan;
    try {
      plan = planned(() =>
        planner.buildQueryPlan(
          operationFromDocument(apiSchema, document, { operationName: operationName ?? undefined }),
        ),
      );
    } catch {
      // Apollo's executor plans it again and answers with its own error.
      return { kind: 'fallback', reason: 'planning failed' };
    }
    let compiled: CompiledPlan;
    try {
      compiled = compilePlan(plan, supergraphSchema);
    } catch (error) {
      if (error instanceof UnsupportedPlan) return { kind: 'fallback', reason: error.message };
      throw error;
    }
    return { kind: 'own', plan, compiled, shape, hasVariables: !!operation.variableDefinitions?.length };
  };

  const preparedFor = remembered(PREPARED_CAPACITY, (_key: string, requestContext: GatewayGraphQLRequestContext) =>
    prepare(requestContext),
  );

  return async (requestContext) => {
    const entry = preparedFor(`${requestContext.queryHash}\n${requestContext.operationName ?? ''}`, requestContext);
    if (entry.kind === 'fallback') {
      stats.fallback += 1;
      stats.fallbackReasons[entry.reason] = (stats.fallbackReasons[entry.reason] ?? 0) + 1;
      return apollo(requestContext);
    }
    stats.own += 1;
    return run(entry, requestContext);
  };

  async function run(
    entry: Extract<Prepared, { kind: 'own' }>,
    requestContext: GatewayGraphQLRequestContext,
  ): Promise<GatewayExecutionResult> {
    const provided = requestContext.request.variables ?? {};
    let variables: Record<string, unknown> = provided;
    if (entry.hasVariables) {
      // What Apollo's executor checks before planning: the variables against the operation's definitions.
      const coerced = getVariableValues(
        requestContext.schema,
        requestContext.operation.variableDefinitions ?? [],
        provided,
      );
      if (coerced.errors) return { errors: coerced.errors };
      variables = coerced.coerced;
    }
    const { data, errors } = await executePlan(entry.plan, entry.compiled, executionDeps, requestContext, variables);
    let shaped: ReturnType<typeof shapeResponse>;
    try {
      shaped = shapeResponse(entry.shape, requestContext.schema, data, variables);
    } catch (error) {
      return {
        errors: [
          error instanceof GraphQLError
            ? error
            : new GraphQLError(
                error instanceof Error ? error.message : 'Unexpected error during query plan execution',
                {
                  originalError: error instanceof Error ? error : undefined,
                },
              ),
        ],
      };
    }
    // As Apollo's: value-completion errors go in extensions, and only when the plan itself had none.
    if (errors.length === 0 && shaped.errors.length > 0)
      return { extensions: { valueCompletion: shaped.errors }, data: shaped.data };
    return errors.length === 0 ? { data: shaped.data } : { errors, data: shaped.data };
  }
}

/** Planning under Apollo's `gateway.plan` span when tracing is on. */
function planned(build: () => QueryPlan): QueryPlan {
  if (!tracingEnabled()) return build();
  return trace.getTracer('bff-gateway').startActiveSpan('gateway.plan', (span) => {
    try {
      return build();
    } finally {
      span.end();
    }
  });
}
