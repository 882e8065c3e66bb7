import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CheckStatus, FindingLevel, SchemaCheckReport } from './types.ts';

const STATUS: Record<CheckStatus, string> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' };
const MARK: Record<FindingLevel, string> = { error: '✗', warning: '!', info: '·' };

function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}

/** Check 7's readable half: one line per check and per finding, details indented, the verdict last. */
export function formatReport(report: SchemaCheckReport): string {
  const lines = [`schema:check  root ${report.root}  base ${report.base}`];
  const width = Math.max(0, ...report.checks.map((c) => c.title.length));
  for (const check of report.checks) {
    lines.push(
      `${STATUS[check.status]}  ${check.title.padEnd(width)}  ${check.summary} (${duration(check.durationMs)})`,
    );
    for (const finding of check.findings) {
      lines.push(`      ${MARK[finding.level]} ${finding.message}`);
      if (finding.detail) lines.push(indent(finding.detail, '          '));
    }
  }
  if (report.outcome === 'error') {
    lines.push(`COULD NOT RUN  ${report.error ?? 'unknown error'} (${duration(report.durationMs)})`);
  } else {
    const failed = report.checks.filter((c) => c.status === 'fail');
    const skipped = report.checks.filter((c) => c.status === 'skip').length;
    const tail = `${report.checks.length - failed.length - skipped} passed, ${failed.length} failed${skipped ? `, ${skipped} skipped` : ''} in ${duration(report.durationMs)}`;
    lines.push(failed.length ? `FAILED  ${failed.map((c) => c.id).join(', ')}: ${tail}` : `PASSED  ${tail}`);
  }
  return lines.join('\n');
}

/** Check 7's machine half: the whole report as JSON, for CI annotations and dashboards. */
export async function writeJsonReport(report: SchemaCheckReport, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
}
