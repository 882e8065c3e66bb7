import { ChangeType } from '@graphql-inspector/core';

/** One line of `schema/approved-changes`: a breaking change a reviewer accepted, and why. */
export interface ApprovedChange {
  type: string;
  path: string;
  reason: string;
  line: number;
}

export interface ApprovedChanges {
  approvals: ApprovedChange[];
  /** Lines that approve nothing (no reason, unknown change type, unreadable); each fails the check. */
  problems: string[];
}

const KNOWN_TYPES = new Set<string>(Object.values(ChangeType));
const LINE = /^([A-Z][A-Z_]*)\s+(\S+?)(?::\s*(.*))?$/;

/**
 * `CHANGE_TYPE path: reason`, one per line; `#` starts a comment line. The type and path are what
 * graphql-inspector reports (`FIELD_REMOVED Product.legacyCode`), so an approval matches exactly
 * one change and cannot silently cover a different one.
 */
export function parseApprovedChanges(text: string, file: string): ApprovedChanges {
  const approvals: ApprovedChange[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const content = raw.trim();
    if (!content || content.startsWith('#')) return;
    const match = LINE.exec(content);
    if (!match) {
      problems.push(`${file}:${line}: cannot read "${content}": expected CHANGE_TYPE path: reason`);
      return;
    }
    const [, type = '', path = '', reason = ''] = match;
    if (!KNOWN_TYPES.has(type)) {
      problems.push(`${file}:${line}: unknown change type ${type} (graphql-inspector's types, e.g. FIELD_REMOVED)`);
      return;
    }
    if (!reason.trim()) {
      problems.push(
        `${file}:${line}: the approval of ${type} ${path} has no reason: write "${type} ${path}: why this break is acceptable"`,
      );
      return;
    }
    approvals.push({ type, path, reason: reason.trim(), line });
  });
  return { approvals, problems };
}

export function approvalKey(type: string, path: string | undefined): string {
  return `${type} ${path ?? ''}`;
}
