import type { GatewayName } from '../../lib/services.ts';

/** The three supergraphs `npm run compose` writes: the domain one and one per gateway. */
export type SupergraphTarget = 'domain' | GatewayName;

export const SUPERGRAPH_TARGETS: readonly SupergraphTarget[] = ['domain', 'web', 'mobile'];

export const GATEWAY_TARGETS: readonly GatewayName[] = ['web', 'mobile'];

export type CheckId =
  'composition' | 'staleness' | 'breaking-changes' | 'client-operations' | 'persisted-manifest' | 'budgets';

export type CheckStatus = 'pass' | 'fail' | 'skip';

/** `error` fails its check, `warning` is reported and does not, `info` is context (a measurement, a safe change). */
export type FindingLevel = 'error' | 'warning' | 'info';

export interface Finding {
  level: FindingLevel;
  /** One line that names the culprit: the supergraph, file, operation, type or field. */
  message: string;
  /** Multi-line context printed under the message, such as a query plan. */
  detail?: string;
}

export interface CheckResult {
  id: CheckId;
  title: string;
  status: CheckStatus;
  /** One line: what was checked and the outcome. */
  summary: string;
  findings: Finding[];
  durationMs: number;
}

export type SchemaCheckOutcome = 'pass' | 'fail' | 'error';

export interface SchemaCheckReport {
  outcome: SchemaCheckOutcome;
  /** 0 pass, 1 a check failed, 2 the check could not run. */
  exitCode: 0 | 1 | 2;
  root: string;
  /** What the breaking-change check compared against, in words. */
  base: string;
  startedAt: string;
  durationMs: number;
  checks: CheckResult[];
  /** Why the check could not run (outcome `error`). */
  error?: string;
}

/**
 * The check could not run at all (bad arguments, git missing, an unknown base ref, unreadable
 * inputs): exit code 2, distinct from a check that ran and failed. Not a GraphQLError: this never
 * reaches a GraphQL client, only a CI log.
 */
export class SchemaCheckSetupError extends Error {
  override readonly name = 'SchemaCheckSetupError';
}

/** What a check body returns; the runner adds the id, title and timing. */
export interface CheckOutcome {
  status: CheckStatus;
  summary: string;
  findings: Finding[];
}

export function outcomeOf(findings: Finding[], summary: { pass: string; fail: string }): CheckOutcome {
  const failed = findings.some((f) => f.level === 'error');
  return { status: failed ? 'fail' : 'pass', summary: failed ? summary.fail : summary.pass, findings };
}
