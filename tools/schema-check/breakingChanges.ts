import { CriticalityLevel, diff, type Change, type TypeOfChangeType } from '@graphql-inspector/core';
import type { GraphQLSchema } from 'graphql';
import { approvalKey, parseApprovedChanges } from './approvedChanges.ts';
import type { Baseline } from './baseline.ts';
import { apiSchemaOf, type FreshSupergraphs } from './supergraphs.ts';
import {
  outcomeOf,
  SchemaCheckSetupError,
  SUPERGRAPH_TARGETS,
  type CheckOutcome,
  type Finding,
  type SupergraphTarget,
} from './types.ts';
import { APPROVED_CHANGES_FILE, readOptional, supergraphFile } from './workspace.ts';

interface SeenChange {
  change: Change;
  targets: SupergraphTarget[];
}

function baseApiSchema(target: SupergraphTarget, sdl: string, baseline: Baseline): GraphQLSchema {
  try {
    return apiSchemaOf(sdl);
  } catch (error) {
    throw new SchemaCheckSetupError(
      `the base ${supergraphFile(target)} (${baseline.description}) is not a supergraph: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/**
 * A change to a domain type shows in all three supergraphs; one line lists where, rather than
 * three lines for one edit.
 */
async function changesAcross(
  supergraphs: FreshSupergraphs,
  baseline: Baseline,
): Promise<{ seen: SeenChange[]; compared: SupergraphTarget[] }> {
  const byKey = new Map<string, SeenChange>();
  const compared: SupergraphTarget[] = [];
  for (const target of SUPERGRAPH_TARGETS) {
    const fresh = supergraphs.apiSchema(target);
    const baseSdl = baseline.supergraphs.get(target);
    if (!fresh || baseSdl === undefined) continue;
    compared.push(target);
    for (const change of await diff(baseApiSchema(target, baseSdl, baseline), fresh)) {
      const key = `${change.type}|${change.path ?? ''}|${change.message}`;
      const seen = byKey.get(key);
      if (seen) seen.targets.push(target);
      else byKey.set(key, { change, targets: [target] });
    }
  }
  return { seen: [...byKey.values()], compared };
}

function where(targets: SupergraphTarget[]): string {
  return `[${targets.join(', ')}]`;
}

/**
 * Check 3: each fresh supergraph's API schema against the base's, with graphql-inspector. Breaking
 * changes fail unless `schema/approved-changes` lists them with a reason; dangerous ones are
 * reported and pass.
 */
export async function checkBreakingChanges(
  root: string,
  supergraphs: FreshSupergraphs,
  baseline: Baseline,
): Promise<CheckOutcome> {
  const findings: Finding[] = [];
  for (const { target, reason } of baseline.missing)
    findings.push({ level: 'info', message: `${supergraphFile(target)}: no baseline (${reason})` });

  const approvalsText = await readOptional(root, APPROVED_CHANGES_FILE);
  const { approvals, problems } = parseApprovedChanges(approvalsText ?? '', APPROVED_CHANGES_FILE);
  for (const problem of problems) findings.push({ level: 'error', message: problem });
  const approvalsByKey = new Map(approvals.map((a) => [approvalKey(a.type, a.path), a]));
  const used = new Set<string>();

  const { seen, compared } = await changesAcross(supergraphs, baseline);
  const counts = { breaking: 0, approved: 0, dangerous: 0, safe: 0 };
  for (const { change, targets } of seen) {
    const label = `${change.type} ${change.path ?? '(schema)'}: ${change.message} ${where(targets)}`;
    if (change.criticality.level === CriticalityLevel.Breaking) {
      const key = approvalKey(change.type as TypeOfChangeType, change.path);
      const approval = approvalsByKey.get(key);
      if (approval) {
        used.add(key);
        counts.approved++;
        findings.push({
          level: 'info',
          message: `approved breaking change ${label} (${APPROVED_CHANGES_FILE}:${approval.line}: ${approval.reason})`,
        });
      } else {
        counts.breaking++;
        findings.push({
          level: 'error',
          message: `breaking change ${label}`,
          detail: `approve it with a line "${change.type} ${change.path ?? ''}: <reason>" in ${APPROVED_CHANGES_FILE}`,
        });
      }
    } else if (change.criticality.level === CriticalityLevel.Dangerous) {
      counts.dangerous++;
      findings.push({ level: 'warning', message: `dangerous change ${label}` });
    } else {
      counts.safe++;
      findings.push({ level: 'info', message: `safe change ${label}` });
    }
  }
  for (const approval of approvals) {
    const key = approvalKey(approval.type, approval.path);
    if (!used.has(key))
      findings.push({
        level: 'info',
        message: `${APPROVED_CHANGES_FILE}:${approval.line}: ${key} matches no change against ${baseline.description} (remove it once the base has it)`,
      });
  }

  if (!compared.length && !findings.some((f) => f.level === 'error')) {
    return { status: 'skip', summary: `nothing compared against ${baseline.description}`, findings };
  }
  const tally = `${counts.breaking} breaking, ${counts.approved} approved, ${counts.dangerous} dangerous, ${counts.safe} safe change(s) against ${baseline.description}`;
  return outcomeOf(findings, {
    pass: tally,
    fail: tally + (problems.length ? `; ${problems.length} bad approval line(s)` : ''),
  });
}
