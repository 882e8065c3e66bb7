import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { buildManifest, isManifest, type PersistedQueryManifest } from '../../lib/gateway/persistedOperations.ts';
import { outcomeOf, type CheckOutcome, type Finding } from './types.ts';
import { MOBILE_MANIFEST_FILE, MOBILE_OPERATIONS_FOLDER, readOptional } from './workspace.ts';

/** Which operations a stale manifest lacks, still carries, or holds with an old body. */
export function manifestDifferences(committed: PersistedQueryManifest, fresh: PersistedQueryManifest): string[] {
  const before = new Map(committed.operations.map((o) => [o.name, o]));
  const after = new Map(fresh.operations.map((o) => [o.name, o]));
  const differences: string[] = [];
  for (const [name, operation] of after) {
    const old = before.get(name);
    if (!old)
      differences.push(`operation ${name} added (${operation.id.slice(0, 12)}) but not in the committed manifest`);
    else if (old.id !== operation.id || old.body !== operation.body || old.type !== operation.type) {
      differences.push(
        `operation ${name} changed: committed id ${old.id.slice(0, 12)}, now ${operation.id.slice(0, 12)}`,
      );
    }
  }
  for (const name of before.keys())
    if (!after.has(name))
      differences.push(
        `operation ${name} removed from ${MOBILE_OPERATIONS_FOLDER} but still in the committed manifest`,
      );
  return differences;
}

/**
 * Check 5: the committed persisted-query manifest is what the mobile operations compile to now.
 * A stale one would make gateway-mobile refuse (or serve an old body for) an operation the app sends.
 */
export async function checkPersistedManifest(root: string): Promise<CheckOutcome> {
  const file = MOBILE_MANIFEST_FILE;
  let fresh: PersistedQueryManifest;
  try {
    fresh = await buildManifest(join(root, MOBILE_OPERATIONS_FOLDER));
  } catch (error) {
    const finding: Finding = {
      level: 'error',
      message: `${MOBILE_OPERATIONS_FOLDER} does not compile to a manifest: ${error instanceof Error ? error.message : String(error)}`,
    };
    return outcomeOf([finding], { pass: '', fail: 'the mobile operations do not compile to a manifest' });
  }
  const text = await readOptional(root, file);
  const findings: Finding[] = [];
  const rerun = '(run npm run compose and commit it)';
  if (text === null) {
    findings.push({ level: 'error', message: `${file} is missing ${rerun}` });
  } else {
    let committed: unknown;
    try {
      committed = JSON.parse(text);
    } catch (error) {
      committed = error;
    }
    if (!isManifest(committed)) {
      findings.push({ level: 'error', message: `${file} is not an Apollo persisted query manifest ${rerun}` });
    } else if (!isDeepStrictEqual(committed, fresh)) {
      const differences = manifestDifferences(committed, fresh);
      if (!differences.length) differences.push('same operations, different order or fields');
      for (const difference of differences)
        findings.push({ level: 'error', message: `${file} is stale: ${difference} ${rerun}` });
    }
  }
  return outcomeOf(findings, {
    pass: `${file} matches its ${fresh.operations.length} operation(s)`,
    fail: `${file} is stale or missing`,
  });
}
