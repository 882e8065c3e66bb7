import { isInputType, typeFromAST, valueFromAST, type GraphQLSchema } from 'graphql';
import { z } from 'zod';
import { costModelFromSupergraph, operationCost, type CostModel } from '../../lib/graphql/cost.ts';
import type { GatewayName } from '../../lib/services.ts';
import { OperationPlanner, type PlanSummary } from '../../lib/schema/queryPlan.ts';
import type { ClientOperation, ClientOperations } from './clientOperations.ts';
import type { FreshSupergraphs } from './supergraphs.ts';
import { outcomeOf, type CheckOutcome, type Finding } from './types.ts';
import { budgetsFile, readOptional, supergraphLabel } from './workspace.ts';

/**
 * An operation's budget, in `gateway-<client>/operations/budgets.json` beside the operations:
 * `{ "<operation name>": { maxFetches, maxSequenceDepth, maxCost, variables? } }`. Keys starting
 * with `$` are notes. `variables` are those the cost is computed with (a page size the app sends);
 * a variable not listed takes the operation's default. `npm run contracts` records them in the
 * operation's contracts as replay values (tools/contracts/derive.ts).
 */
export const OperationBudgetSchema = z.strictObject({
  maxFetches: z.number().int().min(1),
  maxSequenceDepth: z.number().int().min(1),
  maxCost: z.number().min(0),
  variables: z.record(z.string(), z.unknown()).optional(),
});

export type OperationBudget = z.infer<typeof OperationBudgetSchema>;

export interface OperationMeasure {
  fetchCount: number;
  sequenceDepth: number;
  cost: number;
  plan: PlanSummary;
}

interface Budgets {
  budgets: Map<string, OperationBudget>;
  problems: string[];
}

function parseBudgets(file: string, text: string | null): Budgets {
  const budgets = new Map<string, OperationBudget>();
  if (text === null) return { budgets, problems: [`${file} is missing: declare a budget for each operation there`] };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { budgets, problems: [`${file} is not JSON: ${error instanceof Error ? error.message : String(error)}`] };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return { budgets, problems: [`${file} must be an object keyed by operation name`] };
  const problems: string[] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name.startsWith('$')) continue;
    const parsed = OperationBudgetSchema.safeParse(value);
    if (parsed.success) budgets.set(name, parsed.data);
    else
      problems.push(
        `${file}: the budget of ${name} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(budget)'} ${i.message}`).join('; ')}`,
      );
  }
  return { budgets, problems };
}

/** The variables the cost is computed with: the operation's defaults, overridden by the budget's. */
function costVariables(
  schema: GraphQLSchema,
  operation: ClientOperation,
  declared: Record<string, unknown>,
): Record<string, unknown> {
  const variables: Record<string, unknown> = {};
  for (const definition of operation.definition.variableDefinitions ?? []) {
    const type = typeFromAST(schema, definition.type);
    if (!definition.defaultValue || !type || !isInputType(type)) continue;
    const value: unknown = valueFromAST(definition.defaultValue, type);
    if (value !== undefined) variables[definition.variable.name.value] = value;
  }
  return { ...variables, ...declared };
}

export function measureOperation(
  planner: OperationPlanner,
  model: CostModel,
  operation: ClientOperation,
  declared: Record<string, unknown> = {},
): OperationMeasure {
  const plan = planner.plan(operation.document, operation.name);
  const cost = operationCost(
    model,
    operation.document,
    operation.name,
    costVariables(model.schema, operation, declared),
  );
  return { fetchCount: plan.fetchCount, sequenceDepth: plan.sequenceDepth, cost, plan };
}

function overruns(measure: OperationMeasure, budget: OperationBudget): string[] {
  const over: string[] = [];
  if (measure.fetchCount > budget.maxFetches)
    over.push(`fetches ${measure.fetchCount} > maxFetches ${budget.maxFetches}`);
  if (measure.sequenceDepth > budget.maxSequenceDepth)
    over.push(`sequence depth ${measure.sequenceDepth} > maxSequenceDepth ${budget.maxSequenceDepth}`);
  if (measure.cost > budget.maxCost) over.push(`cost ${measure.cost} > maxCost ${budget.maxCost}`);
  return over;
}

function fetchList(plan: PlanSummary): string {
  return plan.fetches.map((f) => `${f.serviceName}@${f.round}`).join(', ');
}

function checkGateway(gateway: GatewayName, sdl: string, loaded: ClientOperations, text: string | null): Finding[] {
  const file = budgetsFile(gateway);
  const { budgets, problems } = parseBudgets(file, text);
  const findings: Finding[] = problems.map((message) => ({ level: 'error', message }));
  const planner = new OperationPlanner(sdl);
  const model = costModelFromSupergraph(sdl);
  for (const operation of loaded.operations) {
    const label = `gateway-${gateway} ${operation.name} (${operation.file})`;
    const budget = budgets.get(operation.name);
    let measure: OperationMeasure;
    try {
      measure = measureOperation(planner, model, operation, budget?.variables);
    } catch (error) {
      findings.push({
        level: 'info',
        message: `${label}: not measured, it does not plan against the ${supergraphLabel(gateway)} (${error instanceof Error ? error.message : String(error)})`,
      });
      continue;
    }
    const measured = `${measure.fetchCount} ${measure.fetchCount === 1 ? 'fetch' : 'fetches'}, depth ${measure.sequenceDepth}, cost ${measure.cost}`;
    if (!budget) {
      findings.push({ level: 'error', message: `${label}: no budget in ${file} (measured now: ${measured})` });
      continue;
    }
    const over = overruns(measure, budget);
    if (over.length) {
      findings.push({
        level: 'error',
        message: `${label} is over budget: ${over.join('; ')} (fetches: ${fetchList(measure.plan)})`,
        detail: measure.plan.pretty,
      });
    } else {
      findings.push({
        level: 'info',
        message: `${label}: ${measure.fetchCount}/${budget.maxFetches} fetches, depth ${measure.sequenceDepth}/${budget.maxSequenceDepth}, cost ${measure.cost}/${budget.maxCost}`,
      });
    }
  }
  const names = new Set(loaded.operations.map((o) => o.name));
  for (const name of budgets.keys())
    if (!names.has(name))
      findings.push({
        level: 'warning',
        message: `${file}: budget for ${name}, which is no operation of gateway-${gateway}`,
      });
  return findings;
}

/**
 * Check 6: each client operation's query plan (subgraph fetches, sequential rounds) and static cost
 * against the budget declared beside it. An operation without a budget fails: a new screen must
 * say what it may cost.
 */
export async function checkBudgets(
  root: string,
  supergraphs: FreshSupergraphs,
  operations: ReadonlyMap<GatewayName, ClientOperations>,
): Promise<CheckOutcome> {
  const findings: Finding[] = [];
  let measured = 0;
  for (const [gateway, loaded] of operations) {
    const sdl = supergraphs.sdl(gateway);
    if (sdl === null) {
      findings.push({
        level: 'info',
        message: `gateway-${gateway}: budgets not checked (the ${supergraphLabel(gateway)} did not compose)`,
      });
      continue;
    }
    measured += loaded.operations.length;
    findings.push(...checkGateway(gateway, sdl, loaded, await readOptional(root, budgetsFile(gateway))));
  }
  const errors = findings.filter((f) => f.level === 'error').length;
  if (!measured && !errors)
    return { status: 'skip', summary: 'no gateway supergraph composed to plan against', findings };
  return outcomeOf(findings, {
    pass: `${measured} operation(s) within budget`,
    fail: `${errors} operation(s) over budget or without one`,
  });
}
