import type { FreshSupergraphs } from './supergraphs.ts';
import { outcomeOf, SUPERGRAPH_TARGETS, type CheckOutcome, type Finding } from './types.ts';
import { readOptional, supergraphFile } from './workspace.ts';

/** The first line where two texts differ (1-based), to point a reviewer at the change. */
export function firstDifferingLine(a: string, b: string): number {
  const left = a.split('\n');
  const right = b.split('\n');
  const length = Math.max(left.length, right.length);
  for (let i = 0; i < length; i++) if (left[i] !== right[i]) return i + 1;
  return length;
}

/** Check 2: each committed supergraph is exactly what composing the SDLs produces now. */
export async function checkStaleness(root: string, supergraphs: FreshSupergraphs): Promise<CheckOutcome> {
  const findings: Finding[] = [];
  let compared = 0;
  for (const target of SUPERGRAPH_TARGETS) {
    const file = supergraphFile(target);
    const fresh = supergraphs.sdl(target);
    if (fresh === null) {
      findings.push({ level: 'info', message: `${file}: not compared (its composition failed)` });
      continue;
    }
    compared++;
    const committed = await readOptional(root, file);
    if (committed === null) {
      findings.push({ level: 'error', message: `${file} is missing: run npm run compose and commit it` });
    } else if (committed !== fresh) {
      findings.push({
        level: 'error',
        message: `${file} is stale: it differs from a fresh composition from line ${firstDifferingLine(committed, fresh)} (run npm run compose and commit it)`,
      });
    }
  }
  if (compared === 0) return { status: 'skip', summary: 'no supergraph composed to compare', findings };
  return outcomeOf(findings, {
    pass: `${compared} committed supergraph(s) match a fresh composition`,
    fail: `${findings.filter((f) => f.level === 'error').length} committed supergraph(s) stale or missing`,
  });
}
