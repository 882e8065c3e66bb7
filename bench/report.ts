// The bench's outputs: reports/bench/<timestamp>.{json,md,svg}, and the latest Markdown table and
// chart copied beside the harness (bench/latest.*) for the README to show.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkoutMarkdown, type CheckoutMeasurement } from './checkoutReport.ts';
import type { TargetKind } from './scenarios.ts';

export interface Measurement {
  scenario: string;
  target: TargetKind;
  label: string;
  connections: number;
  requests: number;
  non2xx: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  gatewayCpuMsPerRequest: number;
  subgraphCpuMsPerRequest: number;
  subgraphRequestsPerOperation: number;
  statementsPerOperation: number;
  redisCommandsPerOperation: number;
  /** Share of requests answered by an identical query already in flight (ours, response cache off). */
  sharedInflight?: number;
  /** Entity representations per operation the plans asked for, and those sent once repeats were removed (ours). */
  representationsAskedPerOperation?: number;
  representationsSentPerOperation?: number;
  /**
   * Share of the run's response-cache lookups that were hits (ours, caches on): a hit run's entries
   * expire with their data's max-age (10 s for stock and orders), and each expiry sends requests
   * through the whole pipeline, so its CPU per request is the hits' only when this is 100%.
   */
  responseHitShare?: number;
  bytesPerResponse: number;
  /** Requests/s of each repeated run when the run was repeated (a cache hit, the ceiling); this row is the median one. */
  runs?: number[];
}

export interface BenchReport {
  at: string;
  quick: boolean;
  /** Only some scenarios or targets ran (BENCH_SCENARIOS, BENCH_TARGETS): not a figure for the README. */
  partial?: boolean;
  settings: Record<string, unknown>;
  machine: string;
  measurements: Measurement[];
  /** The checkout scenario (bench/checkout.ts), when it ran. */
  checkout?: CheckoutMeasurement;
  failures: string[];
}

const fixed = (n: number | undefined, digits = 2) => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits));
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? undefined : a / b;

/** How the repeated (fast) runs are summarised, when there were any. */
function repeatedNote(measurements: readonly Measurement[]): string[] {
  const counts = [...new Set(measurements.flatMap((m) => (m.runs ? [m.runs.length] : [])))];
  if (counts.length === 0) return [];
  const spread = measurements
    .filter((m) => m.runs && m.target === 'ceiling')
    .map(
      (m) =>
        `${m.scenario} ${m.connections} conn ${Math.min(...(m.runs ?? [])).toFixed(0)}-${Math.max(...(m.runs ?? [])).toFixed(0)}`,
    );
  return [
    `Cache-hit and ceiling rows are the run of median req/s among ${counts.join('/')} runs of the same length${spread.length ? ` (the ceiling's req/s ranged: ${spread.join('; ')})` : ''}.`,
  ];
}

export function markdown(report: BenchReport): string {
  const scenarios = [...new Set(report.measurements.map((m) => m.scenario))];
  const top = Math.max(...report.measurements.map((m) => m.connections));
  const lines = [
    `Bench of ${report.at}${report.quick ? ' (quick: harness check, figures not meaningful)' : ''}, on ${report.machine}.`,
    `CPU figures are per request (process utime + stime over the measured requests); other columns at ${top} connections; ratios are this run's.`,
    ...repeatedNote(report.measurements),
    '',
    `| scenario | target | req/s 1 conn | req/s ${top} conn | p50 / p99 ms (${top}) | gateway CPU ms/req, 1 / ${top} conn | subgraphs CPU ms/req, 1 / ${top} conn | subgraph req/op | SQL/op | Redis cmd/op | shared in flight | req/s vs stock | vs Hive | vs ceiling | gateway CPU vs stock |`,
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const scenario of scenarios) {
    const of = (target: TargetKind, connections: number) =>
      report.measurements.find((m) => m.scenario === scenario && m.target === target && m.connections === connections);
    const targets = [...new Set(report.measurements.filter((m) => m.scenario === scenario).map((m) => m.target))];
    for (const target of targets) {
      const one = of(target, 1);
      const m = of(target, top) ?? one;
      if (!m) continue;
      lines.push(
        `| ${scenario} | ${m.label} | ${fixed(one?.requestsPerSecond, 0)} | ${fixed(m.requestsPerSecond, 0)} | ${m.p50} / ${m.p99} | ${fixed(one?.gatewayCpuMsPerRequest)} / ${fixed(m.gatewayCpuMsPerRequest)} | ${fixed(one?.subgraphCpuMsPerRequest)} / ${fixed(m.subgraphCpuMsPerRequest)} | ${fixed(m.subgraphRequestsPerOperation, 1)} | ${fixed(m.statementsPerOperation, 1)} | ${fixed(m.redisCommandsPerOperation, 1)} | ${m.sharedInflight === undefined ? '–' : `${fixed(100 * m.sharedInflight, 0)}%`} | ${fixed(ratio(m.requestsPerSecond, of('stock', top)?.requestsPerSecond))} | ${fixed(ratio(m.requestsPerSecond, of('hive', top)?.requestsPerSecond))} | ${fixed(ratio(m.requestsPerSecond, of('ceiling', top)?.requestsPerSecond))} | ${fixed(ratio(m.gatewayCpuMsPerRequest, of('stock', top)?.gatewayCpuMsPerRequest))} |`,
      );
    }
  }
  lines.push(...oursCounts(report, top));
  if (report.checkout) lines.push('', ...checkoutMarkdown(report.checkout));
  if (report.failures.length) lines.push('', '**Failures:**', ...report.failures.map((f) => `- ${f}`));
  return `${lines.join('\n')}\n`;
}

/** Our gateways' own counts at the top connection count: sharing in flight and entity representations. */
function oursCounts(report: BenchReport, top: number): string[] {
  const rows = report.measurements.filter((m) => m.connections === top && m.sharedInflight !== undefined);
  if (!rows.length) return [];
  return [
    '',
    `Ours at ${top} connections: requests answered by an identical query in flight, entity representations per operation (asked by the plans / sent after repeats are removed), and the share of response-cache lookups that hit (caches on; the misses are entries expiring with their data's max-age, each sending requests through the whole pipeline).`,
    '',
    '| scenario | target | shared in flight | representations asked / sent per op | response cache hits |',
    '|---|---|---:|---:|---:|',
    ...rows.map(
      (m) =>
        `| ${m.scenario} | ${m.label} | ${fixed(100 * (m.sharedInflight ?? 0), 0)}% | ${fixed(m.representationsAskedPerOperation, 1)} / ${fixed(m.representationsSentPerOperation, 1)} | ${m.responseHitShare === undefined ? '–' : `${fixed(100 * m.responseHitShare, 1)}%`} |`,
    ),
  ];
}

const COLOURS: Record<TargetKind, string> = {
  stock: '#8c8c8c',
  hive: '#e0a526',
  ours: '#3b7dd8',
  'ours-open': '#7fa8e0',
  'ours-pipeline': '#9db7d9',
  'ours-entities': '#2f64b5',
  'ours-entities-pipeline': '#8fa7cf',
  'ours-cached': '#1f4e99',
  'ours-cached-pipeline': '#7f95bd',
  ceiling: '#2e9e5b',
};

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Requests/s at the highest connection count, one group of bars per scenario, on a log scale (the ceiling is 100x a cold gateway). */
export function svg(report: BenchReport): string {
  const top = Math.max(...report.measurements.map((m) => m.connections));
  const rows = report.measurements.filter((m) => m.connections === top);
  const scenarios = [...new Set(rows.map((m) => m.scenario))];
  const max = Math.max(10, ...rows.map((m) => m.requestsPerSecond));
  const decades = Math.ceil(Math.log10(max));
  const left = 210;
  const width = 900;
  const plot = width - left - 90;
  const bar = 14;
  const x = (v: number) => (Math.log10(Math.max(1, v)) / decades) * plot;
  const parts: string[] = [];
  let y = 40;
  for (const scenario of scenarios) {
    parts.push(`<text x="10" y="${y + 10}" font-weight="bold">${escape(scenario)}</text>`);
    y += 18;
    for (const m of rows.filter((r) => r.scenario === scenario)) {
      parts.push(
        `<text x="${left - 6}" y="${y + 11}" text-anchor="end">${escape(m.label)}</text>`,
        `<rect x="${left}" y="${y}" width="${x(m.requestsPerSecond).toFixed(1)}" height="${bar}" fill="${COLOURS[m.target]}"/>`,
        `<text x="${left + x(m.requestsPerSecond) + 4}" y="${y + 11}">${m.requestsPerSecond.toFixed(0)}</text>`,
      );
      y += bar + 4;
    }
    y += 10;
  }
  const ticks = Array.from({ length: decades + 1 }, (_, i) => 10 ** i);
  const grid = ticks.map(
    (t) =>
      `<line x1="${left + x(t)}" y1="30" x2="${left + x(t)}" y2="${y}" stroke="#ddd"/><text x="${left + x(t)}" y="${y + 14}" text-anchor="middle">${t}</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 30}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="18" font-size="13" font-weight="bold">Requests/s at ${top} connections (log scale), ${escape(report.at)}</text>
${grid.join('\n')}
${parts.join('\n')}
</svg>
`;
}

export async function writeReport(report: BenchReport): Promise<string[]> {
  const dir = 'reports/bench';
  await mkdir(dir, { recursive: true });
  const stamp = report.at.replace(/[:.]/g, '-');
  const base = join(dir, stamp);
  await writeFile(`${base}.json`, JSON.stringify(report, null, 2));
  await writeFile(`${base}.md`, markdown(report));
  await writeFile(`${base}.svg`, svg(report));
  const files = [`${base}.json`, `${base}.md`, `${base}.svg`];
  // Only a full run replaces the figures the README shows.
  if (!report.quick && !report.partial) {
    const here = fileURLToPath(new URL('.', import.meta.url));
    await copyFile(`${base}.md`, join(here, 'latest.md'));
    await copyFile(`${base}.svg`, join(here, 'latest.svg'));
    files.push('bench/latest.md', 'bench/latest.svg');
  }
  return files;
}
