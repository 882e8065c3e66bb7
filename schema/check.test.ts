// `npm run schema:check` over this repository, so `npm test` runs it: composition, committed
// supergraphs, client operations, the mobile manifest and budgets as committed. The base is HEAD
// (main on a fresh CI clone): uncommitted schema edits are judged against the last commit, and a
// pull request's CI compares with its target branch through .github/workflows/schema-check.yml.
import { describe, expect, it } from 'vitest';
import { formatReport, runSchemaCheck } from '../tools/schema-check/index.ts';

describe('npm run schema:check on this repository', () => {
  it('passes every check against HEAD', async () => {
    const report = await runSchemaCheck({ base: { kind: 'git', ref: 'HEAD' } });
    expect(report.outcome, formatReport(report)).toBe('pass');
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['composition', 'pass'],
      ['staleness', 'pass'],
      ['breaking-changes', 'pass'],
      ['client-operations', 'pass'],
      ['persisted-manifest', 'pass'],
      ['budgets', 'pass'],
    ]);
  });
});
