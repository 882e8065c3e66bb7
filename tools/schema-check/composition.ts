import { compose, type CompositionOutcome } from '../../lib/composition.ts';
import { FreshSupergraphs } from './supergraphs.ts';
import { outcomeOf, SUPERGRAPH_TARGETS, type CheckOutcome, type Finding, type SupergraphTarget } from './types.ts';
import { subgraphSources, supergraphLabel } from './workspace.ts';

export interface CompositionCheck extends CheckOutcome {
  /** What the later checks work on; a supergraph that did not compose is absent there. */
  supergraphs: FreshSupergraphs;
}

/**
 * Check 1: composes the domain supergraph and each gateway's. Apollo's messages name the subgraphs,
 * type and field; each is prefixed with the composition it broke. A conflict in a domain subgraph
 * breaks all three, so the gateways' copies of the domain's errors are folded into one line.
 */
export async function checkComposition(root: string): Promise<CompositionCheck> {
  const outcomes = new Map<SupergraphTarget, CompositionOutcome>();
  for (const target of SUPERGRAPH_TARGETS) outcomes.set(target, compose(await subgraphSources(root, target)));

  const domainErrors = new Set(failedWith(outcomes.get('domain')));
  const findings: Finding[] = [];
  for (const target of SUPERGRAPH_TARGETS) {
    const outcome = outcomes.get(target);
    if (outcome?.ok) {
      findings.push({ level: 'info', message: `${supergraphLabel(target)}: composed` });
      continue;
    }
    const errors = failedWith(outcome);
    const own = target === 'domain' ? errors : errors.filter((e) => !domainErrors.has(e));
    for (const error of own) findings.push({ level: 'error', message: `${supergraphLabel(target)}: ${error}` });
    const shared = errors.length - own.length;
    if (shared)
      findings.push({
        level: 'error',
        message: `${supergraphLabel(target)}: failed with the domain supergraph's ${shared} error(s) above`,
      });
  }
  const failed = SUPERGRAPH_TARGETS.filter((t) => !outcomes.get(t)?.ok).map(supergraphLabel);
  return {
    ...outcomeOf(findings, {
      pass: `${SUPERGRAPH_TARGETS.length} supergraphs composed`,
      fail: `composition failed: ${failed.join(', ')}`,
    }),
    supergraphs: new FreshSupergraphs(outcomes),
  };
}

function failedWith(outcome: CompositionOutcome | undefined): string[] {
  return outcome && !outcome.ok ? outcome.errors : [];
}
