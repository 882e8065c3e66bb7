import { describe, expect, it } from 'vitest';
import { parseApprovedChanges } from './approvedChanges.ts';

describe('parseApprovedChanges', () => {
  it('reads type, path and reason, skipping comments and blank lines', () => {
    const text =
      '# header\n\nFIELD_REMOVED Product.legacyCode: unused since app 3.2\n  FIELD_ARGUMENT_REMOVED Query.products.sort:  replaced by filter  \n';
    expect(parseApprovedChanges(text, 'approved')).toEqual({
      approvals: [
        { type: 'FIELD_REMOVED', path: 'Product.legacyCode', reason: 'unused since app 3.2', line: 3 },
        { type: 'FIELD_ARGUMENT_REMOVED', path: 'Query.products.sort', reason: 'replaced by filter', line: 4 },
      ],
      problems: [],
    });
  });

  it('refuses an approval without a reason, an unknown change type and an unreadable line, naming the line', () => {
    const text =
      'FIELD_REMOVED Product.legacyCode\nFIELD_REMOVED Product.sku:   \nFIELD_GONE Product.sku: typo\nremove Product.sku please\n';
    const { approvals, problems } = parseApprovedChanges(text, 'approved');
    expect(approvals).toEqual([]);
    expect(problems).toEqual([
      'approved:1: the approval of FIELD_REMOVED Product.legacyCode has no reason: write "FIELD_REMOVED Product.legacyCode: why this break is acceptable"',
      'approved:2: the approval of FIELD_REMOVED Product.sku has no reason: write "FIELD_REMOVED Product.sku: why this break is acceptable"',
      "approved:3: unknown change type FIELD_GONE (graphql-inspector's types, e.g. FIELD_REMOVED)",
      'approved:4: cannot read "remove Product.sku please": expected CHANGE_TYPE path: reason',
    ]);
  });
});
