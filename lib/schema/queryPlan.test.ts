import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { gatewaySupergraphPath, SUPERGRAPH_PATH } from '../composition.ts';
import { operationsDir } from '../gateway/paths.ts';
import { OperationPlanner } from './queryPlan.ts';

describe('OperationPlanner', () => {
  const domain = new OperationPlanner(readFileSync(SUPERGRAPH_PATH, 'utf8'));

  it('counts one fetch and one round for a single-subgraph query', () => {
    const summary = domain.plan(parse('{ categories { name } }'));
    expect(summary).toMatchObject({ fetchCount: 1, sequenceDepth: 1 });
    expect(summary.fetches[0]).toMatchObject({ serviceName: 'products', round: 1, requires: [] });
  });

  it('counts entity fetches as later rounds, and parallel ones in the same round', () => {
    const summary = domain.plan(
      parse('{ products(first: 2) { edges { node { name stock { available } averageRating } } } }'),
    );
    expect(summary.fetchCount).toBe(3);
    expect(summary.sequenceDepth).toBe(2);
    expect(summary.fetches.map((f) => `${f.serviceName}@${f.round}`).sort()).toEqual([
      'inventory@2',
      'products@1',
      'reviews@2',
    ]);
    expect(summary.fetches.find((f) => f.serviceName === 'inventory')?.operation).toContain('_entities');
  });

  it('plans the web dashboard within a handful of rounds', () => {
    const web = new OperationPlanner(readFileSync(gatewaySupergraphPath('web'), 'utf8'));
    const summary = web.plan(parse(readFileSync(join(operationsDir('web'), 'Dashboard.graphql'), 'utf8')));
    expect(summary.fetches.some((f) => f.serviceName === 'bff-web' && f.round === 1)).toBe(true);
    expect(summary.sequenceDepth).toBeGreaterThanOrEqual(3);
    expect(summary.pretty).toContain('Parallel {');
  });
});
