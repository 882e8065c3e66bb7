import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ROOT_DIR } from '../../lib/composition.ts';
import type { GatewayName } from '../../lib/services.ts';
import { describeBase, loadBaseline, type BaseSpec } from './baseline.ts';
import { checkBreakingChanges } from './breakingChanges.ts';
import { type ClientOperations, loadClientOperations } from './clientOperations.ts';
import { checkComposition } from './composition.ts';
import { checkBudgets } from './budgets.ts';
import { checkPersistedManifest } from './manifest.ts';
import { checkClientOperations } from './operations.ts';
import { checkStaleness } from './staleness.ts';
import {
  GATEWAY_TARGETS,
  SchemaCheckSetupError,
  type CheckId,
  type CheckOutcome,
  type CheckResult,
  type SchemaCheckReport,
} from './types.ts';

export interface SchemaCheckOptions {
  /** The repository (or a copy of its schema-relevant parts) to check; default this repository. */
  root?: string;
  /** What breaking changes are judged against; default the git ref `main`. */
  base?: BaseSpec;
  /** Treat a base ref or file that does not exist as "no baseline" instead of exit code 2. */
  allowMissingBase?: boolean;
}

const TITLES: Record<CheckId, string> = {
  composition: 'composition',
  staleness: 'committed supergraphs',
  'breaking-changes': 'breaking changes',
  'client-operations': 'client operations',
  'persisted-manifest': 'persisted query manifest',
  budgets: 'operation budgets',
};

async function assertDirectory(root: string): Promise<void> {
  const stats = await stat(root).catch(() => null);
  if (!stats?.isDirectory()) throw new SchemaCheckSetupError(`root ${root} is not a directory`);
}

/**
 * `npm run schema:check` as a function: composition, staleness, breaking changes, client operations,
 * the persisted manifest and budgets, in that order, on the repository under `root`. Never throws for
 * a failed check or an unusable setup: both are in the report (exit codes 1 and 2).
 */
export async function runSchemaCheck(options: SchemaCheckOptions = {}): Promise<SchemaCheckReport> {
  const root = resolve(options.root ?? ROOT_DIR);
  const base = options.base ?? { kind: 'git', ref: 'main' };
  const startedAt = new Date();
  const started = performance.now();
  const checks: CheckResult[] = [];
  let baseDescription = describeBase(base);

  const record = async <T extends CheckOutcome>(id: CheckId, body: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    const outcome = await body();
    const { status, summary, findings } = outcome;
    checks.push({ id, title: TITLES[id], status, summary, findings, durationMs: Math.round(performance.now() - t0) });
    return outcome;
  };
  const finish = (error?: string): SchemaCheckReport => {
    const failed = checks.some((c) => c.status === 'fail');
    const outcome = error ? 'error' : failed ? 'fail' : 'pass';
    return {
      outcome,
      exitCode: outcome === 'error' ? 2 : outcome === 'fail' ? 1 : 0,
      root,
      base: baseDescription,
      startedAt: startedAt.toISOString(),
      durationMs: Math.round(performance.now() - started),
      checks,
      ...(error ? { error } : {}),
    };
  };

  try {
    await assertDirectory(root);
    // The base is resolved first: an unknown ref is a setup error, reported before any check runs.
    const baseline = await loadBaseline(root, base, options.allowMissingBase ?? false);
    baseDescription = baseline.description;

    const { supergraphs: fresh } = await record('composition', () => checkComposition(root));
    await record('staleness', () => checkStaleness(root, fresh));
    await record('breaking-changes', () => checkBreakingChanges(root, fresh, baseline));

    const operations = new Map<GatewayName, ClientOperations>();
    await record('client-operations', async () => {
      for (const gateway of GATEWAY_TARGETS) operations.set(gateway, await loadClientOperations(root, gateway));
      return checkClientOperations(fresh, operations);
    });
    await record('persisted-manifest', () => checkPersistedManifest(root));
    await record('budgets', () => checkBudgets(root, fresh, operations));
    return finish();
  } catch (error) {
    if (error instanceof SchemaCheckSetupError) return finish(error.message);
    throw error;
  }
}
