export { runSchemaCheck, type SchemaCheckOptions } from './runSchemaCheck.ts';
export { formatReport, writeJsonReport } from './report.ts';
export type { BaseSpec } from './baseline.ts';
export {
  SchemaCheckSetupError,
  SUPERGRAPH_TARGETS,
  type CheckId,
  type CheckResult,
  type Finding,
  type SchemaCheckReport,
  type SupergraphTarget,
} from './types.ts';
export { OperationBudgetSchema, type OperationBudget } from './budgets.ts';
