// `npm run bench`: our gateways against the gateways users would pick instead, on the same subgraphs
// and the same machine, in one run. Every target runs in its own process, so its CPU time per request
// (utime + stime from /proc over a fixed request count, the figure shared cores blur least) is its
// own; requests/s and latencies come from autocannon over loopback. Before a target is measured its
// answer must equal stock @apollo/gateway's (data, keys sorted): a fast wrong answer fails the run.
// `npm run bench -- --quick` proves the harness and its checks in CI: every target started once and
// checked against stock, then one short run of 2 connections each, no warm-up, no timing claims.
import { createServer } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { gatewaySupergraphPath } from '../lib/composition.ts';
import { dropDatabase, listDatabases } from '../lib/db/index.ts';
import { bffSubgraphName } from '../lib/composition.ts';
import { prebuiltBundle } from '../lib/prebuilt.ts';
import { SUBGRAPH_NAMES, type GatewayName, type SubgraphName } from '../lib/services.ts';
import { benchCheckout, CHECKOUT_RUNS, CHECKOUT_SCENARIO } from './checkout.ts';
import { describeCheckout, type CheckoutMeasurement } from './checkoutReport.ts';
import { cpuMsOfTrees, startProcess, stopChild, type BenchProcess } from './ipc.ts';
import {
  askedAs,
  pipelineVariantOf,
  scenarios,
  type BenchRequest,
  type Scenario,
  type TargetKind,
} from './scenarios.ts';
import { writeReport, type BenchReport, type Measurement } from './report.ts';

const quick = process.argv.includes('--quick');
const settings = z
  .object({
    DATABASE_URL: z.string().url().default('postgresql://postgres@127.0.0.1:5432/postgres'),
    BENCH_REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
    SEED_SCALE: z.coerce.number().positive().max(100).default(1),
    /** Requests per measured run of a gateway that computes its answer (10 connections; 1 connection runs half). */
    BENCH_REQUESTS: z.coerce
      .number()
      .int()
      .positive()
      .default(quick ? 4 : 400),
    /**
     * Requests per measured run of a cache hit or the ceiling (they are 10-100x faster). At 4000 the
     * ceiling's runs lasted 0.15-0.25 s and five of them ranged 17,000-43,000 req/s.
     */
    BENCH_HIT_REQUESTS: z.coerce
      .number()
      .int()
      .positive()
      .default(quick ? 20 : 12_000),
    BENCH_CONNECTIONS: z.string().default(quick ? '2' : '1,10'),
    /** Only the scenarios whose names contain one of these (comma-separated); all by default. */
    BENCH_SCENARIOS: z.string().optional(),
    /**
     * Only these targets besides stock (the reference), comma-separated: hive, ours, ours-open, ours-entities,
     * ours-cached, ceiling, and the pipeline variants ours-pipeline, ours-entities-pipeline, ours-cached-pipeline.
     */
    BENCH_TARGETS: z.string().optional(),
    /** Measured runs of a cache hit and of the ceiling (each BENCH_HIT_REQUESTS long); the median one is reported. */
    BENCH_FAST_REPEATS: z.coerce.number().int().positive().max(20).default(5),
    /** Measured rounds per scenario, the targets interleaved in each (medians across rounds are what an A/B reads). */
    BENCH_ROUNDS: z.coerce.number().int().positive().default(1),
    /** A directory: every bench process runs with --cpu-prof and writes its profile there on exit. */
    BENCH_CPU_PROF: z.string().optional(),
  })
  .parse(process.env);
const connectionCounts = settings.BENCH_CONNECTIONS.split(',').map(Number);

const here = fileURLToPath(new URL('.', import.meta.url));
const prefix = `bench_${process.pid}_`;
const redisPrefix = `bench:${process.pid}:`;
const env: NodeJS.ProcessEnv = {
  ...process.env,
  DATABASE_URL: settings.DATABASE_URL,
  DATABASE_PREFIX: prefix,
  SEED_SCALE: String(settings.SEED_SCALE),
  REDIS_URL: settings.BENCH_REDIS_URL,
  REDIS_KEY_PREFIX: redisPrefix,
  NODE_ENV: 'development',
  // One secret per run, shared by every gateway and subgraph: production mode refuses the public
  // development secret, and the subgraphs run in production mode (SUBGRAPH_ENV).
  GATEWAY_SIGNING_SECRET: randomBytes(32).toString('base64url'),
};
/**
 * The subgraphs run as deployed (NODE_ENV=production, as in deploy/ and docker-compose.yml): Prisma
 * then skips capturing a call site (a stack trace) per query and graphql-js its development checks,
 * so their CPU per request is what production pays. The gateways stay in development mode, which
 * is what lets them accept the bench's development tokens.
 */
const SUBGRAPH_ENV: NodeJS.ProcessEnv = { NODE_ENV: 'production' };

const wantedTargets = settings.BENCH_TARGETS?.split(',').map((t) => t.trim());
const profiling = settings.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${settings.BENCH_CPU_PROF}`] : [];

const TARGET_LABELS: Record<TargetKind, string> = {
  stock: 'stock @apollo/gateway',
  hive: 'Hive Gateway',
  ours: 'ours, caches off',
  'ours-open': 'ours, caches off, no rate limits or auth',
  'ours-pipeline': 'ours, caches off, all via Apollo pipeline',
  'ours-entities': 'ours, entity cache only',
  'ours-entities-pipeline': 'ours, entity cache only, all via Apollo pipeline',
  'ours-cached': 'ours, caches on',
  'ours-cached-pipeline': 'ours, caches on, all via Apollo pipeline',
  ceiling: 'ceiling (recorded bytes)',
};

/** What our gateway counts of itself: Redis commands, queries shared in flight, entity representations. */
interface OwnCounts {
  redisCommands: number;
  failedCalls: number;
  shared: number;
  representations: { asked: number; sent: number };
  cache: { response: { hits: number; misses: number } } | null;
}

interface Target {
  kind: TargetKind;
  url: string;
  /** Processes whose CPU is the gateway's (Hive's BFF subgraph runs beside it over HTTP, ours and stock's in-process). */
  gatewayPids: number[];
  counts?: () => Promise<OwnCounts>;
}

const started: { stop(): Promise<void> }[] = [];
const failures: string[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Hive Gateway through its own CLI, over a copy of our supergraph whose URLs point at this run's subgraphs. */
async function startHive(
  profile: GatewayName,
  urls: Record<string, string>,
  dir: string,
): Promise<Target & { child: ChildProcess }> {
  let sdl = await readFile(gatewaySupergraphPath(profile), 'utf8');
  sdl = sdl.replace(/@join__graph\(name: "([^"]+)", url: "[^"]*"\)/g, (_m, name: string) => {
    const url = urls[name];
    if (!url) throw new Error(`no URL for subgraph ${name}`);
    return `@join__graph(name: "${name}", url: "${url}")`;
  });
  const file = join(dir, `supergraph-${profile}.graphql`);
  await writeFile(file, sdl);
  const port = await freePort();
  const bin = fileURLToPath(import.meta.resolve('@graphql-hive/gateway/package.json')).replace(
    /package\.json$/,
    'dist/bin.js',
  );
  // Its config's bundle from `npm run generate` while fresh (plain Node loads it, and all of Hive,
  // without tsx's hooks), else the TypeScript config under tsx.
  const bundledConfig = prebuiltBundle('bench/targets/hive.config.ts');
  const child = spawn(
    process.execPath,
    [
      ...(bundledConfig ? [] : ['--import', 'tsx']),
      bin,
      'supergraph',
      file,
      '--config-path',
      bundledConfig ?? join(here, 'targets/hive.config.ts'),
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--fork',
      '1',
      '--polling',
      '1h',
    ],
    // METADATA_SERVER_DETECTION: its OpenTelemetry resource detection otherwise probes Google Cloud's
    // metadata server, which this closed network answers 403 (a MetadataLookupWarning on every run).
    {
      env: { ...env, BENCH_PROFILE: profile, LOG_LEVEL: 'error', METADATA_SERVER_DETECTION: 'none' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  started.push({ stop: () => stopChild(child) });
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Hive Gateway exited: ${output}`);
    if (Date.now() > deadline) throw new Error(`Hive Gateway not ready: ${output}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readiness`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { kind: 'hive', url: `http://127.0.0.1:${port}/graphql`, gatewayPids: [child.pid as number], child };
}

async function fork<T>(script: string, args: string[], extra: NodeJS.ProcessEnv = {}): Promise<BenchProcess<T>> {
  const p = await startProcess<T>(join(here, script), args, { ...env, ...extra }, { execArgv: profiling });
  // A profile is written as the process exits: give it time to close and write rather than SIGKILL it.
  started.push({ stop: () => p.stop(profiling.length ? 60_000 : 5_000) });
  return p;
}

/** Data with keys sorted and the dashboard's clock (`generatedAt`, now at every call) left out. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== 'generatedAt')
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, canonical(v)]),
    );
  return value;
}

/** The list turned left by `by` places. */
function rotated<T>(list: T[], by: number): T[] {
  const at = list.length === 0 ? 0 : by % list.length;
  return [...list.slice(at), ...list.slice(0, at)];
}

/** The targets a scenario runs besides stock: its own list, or every target but `ours-open`. */
function targetsOfScenario(scenario: Scenario): TargetKind[] {
  return scenario.targets ?? ['hive', 'ours', 'ours-cached', 'ceiling'];
}

async function post(
  url: string,
  request: BenchRequest,
): Promise<{ text: string; json: { data?: unknown; errors?: unknown } }> {
  const res = await fetch(url, { method: 'POST', headers: request.headers, body: request.body });
  const text = await res.text();
  return { text, json: JSON.parse(text) as { data?: unknown; errors?: unknown } };
}

interface Counters {
  gatewayCpuMs: number;
  subgraphCpuMs: number;
  subgraphRequests: number;
  statements: number;
  redisCommands: number;
  failedCalls: number;
  shared: number;
  representationsAsked: number;
  representationsSent: number;
  responseHits: number;
  responseMisses: number;
}

/** Hits among the response-cache lookups between two snapshots (1 when there were none: nothing missed). */
function hitShare(before: Counters, after: Counters): number {
  const hits = after.responseHits - before.responseHits;
  const lookups = hits + after.responseMisses - before.responseMisses;
  return lookups === 0 ? 1 : hits / lookups;
}

async function load(
  url: string,
  scenario: Scenario,
  kind: TargetKind,
  amount: number,
  connections: number,
  offset: number,
) {
  let n = offset;
  const fixed = scenario.request(kind, 0);
  const rotating =
    scenario.request(kind, 1).body !== fixed.body ||
    scenario.request(kind, 1).headers.authorization !== fixed.headers.authorization;
  const startedAt = performance.now();
  // autocannon ends a run on its next one-second sampling tick, not at the last response: the time
  // of the last response is the run's end, else every rate is rounded down to requests / whole seconds.
  let lastResponseAt = startedAt;
  const options: autocannon.Options = {
    url,
    method: 'POST',
    connections,
    amount,
    timeout: 60,
    ...(rotating
      ? {
          requests: [
            {
              setupRequest: (request: autocannon.Request) => {
                const next = scenario.request(kind, n++);
                // Copies: autocannon writes content-length into the headers it is given.
                return { ...request, method: 'POST', body: next.body, headers: { ...next.headers } };
              },
            },
          ],
        }
      : { body: fixed.body, headers: { ...fixed.headers } }),
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const run = autocannon(options, (error, done) => (error ? reject(error as Error) : resolve(done)));
    run.on('response', () => {
      lastResponseAt = performance.now();
    });
  });
  const seconds = (lastResponseAt - startedAt) / 1000;
  return { result, seconds };
}

try {
  const wanted = settings.BENCH_SCENARIOS?.split(',').map((w) => w.trim());
  const all = (await scenarios()).filter((s) => !wanted || wanted.some((w) => s.name.includes(w)));
  const workDir = await mkdtemp(join(tmpdir(), 'bench-'));
  const t0 = Date.now();
  console.log(`Seeding scale ${settings.SEED_SCALE} into ${prefix}* and starting the subgraphs...`);
  const [subgraphs, bff, ceiling] = await Promise.all([
    Promise.all(
      SUBGRAPH_NAMES.map((name) =>
        fork<{ name: SubgraphName; url: string }>('targets/subgraph.ts', [name], SUBGRAPH_ENV),
      ),
    ),
    fork<{ web: string; mobile: string }>('targets/bff.ts', []),
    fork<{ url: string }>('targets/ceiling.ts', []),
  ]);
  const subgraphUrls = Object.fromEntries(subgraphs.map((s) => [s.ready.name, s.ready.url]));
  const targetEnv = { BENCH_SUBGRAPH_URLS: JSON.stringify(subgraphUrls) };
  console.log(`subgraphs up in ${((Date.now() - t0) / 1000).toFixed(1)} s; starting the gateways...`);

  const targetsOf = async (profile: GatewayName): Promise<Target[]> => {
    /** Our gateway as one target: caches (whole responses, or entities only), rate limits, the lean path. */
    const ours = (mode: 'cold' | 'open' | 'entities' | 'cached', pipeline = false) =>
      fork<{ url: string }>('targets/ours.ts', [profile, mode, ...(pipeline ? ['pipeline'] : [])], {
        ...targetEnv,
        // Entries and budgets of its own: targets sharing entries would warm each other's caches, and
        // which one runs first in a round would change what the others measure (their hit share).
        REDIS_KEY_PREFIX: `${redisPrefix}${profile}-${mode}${pipeline ? '-pipeline' : ''}:`,
        BENCH_PROFILE: profile,
        BENCH_CACHED: String(mode === 'cached' || mode === 'entities'),
        BENCH_RESPONSES: String(mode !== 'entities'),
        BENCH_RATE_LIMITED: String(mode !== 'open'),
        BENCH_KNOWN_OPERATIONS_PATH: String(!pipeline),
      });
    const want = (kind: TargetKind) =>
      (!wantedTargets || wantedTargets.includes(kind)) &&
      all.some((s) => s.profile === profile && targetsOfScenario(s).includes(kind));
    // A pipeline variant only when named in BENCH_TARGETS, wherever the target it stands beside runs.
    const wantPipeline = (kind: TargetKind) => !!wantedTargets?.includes(kind) && want(askedAs(kind));
    const [stock, cold, open, cached, hive, pipeline, entities, entitiesPipeline, cachedPipeline] = await Promise.all([
      fork<{ url: string }>('targets/stock.ts', [profile], { ...targetEnv, BENCH_PROFILE: profile }),
      want('ours') ? ours('cold') : null,
      want('ours-open') ? ours('open') : null,
      want('ours-cached') ? ours('cached') : null,
      want('hive')
        ? startHive(profile, { ...subgraphUrls, [bffSubgraphName(profile)]: bff.ready[profile] }, workDir)
        : null,
      wantPipeline('ours-pipeline') ? ours('cold', true) : null,
      want('ours-entities') ? ours('entities') : null,
      wantPipeline('ours-entities-pipeline') ? ours('entities', true) : null,
      wantPipeline('ours-cached-pipeline') ? ours('cached', true) : null,
    ]);
    const list: Target[] = [{ kind: 'stock', url: stock.ready.url, gatewayPids: [stock.pid] }];
    if (hive) list.push({ ...hive, gatewayPids: [hive.child.pid as number, bff.pid] });
    // Ours, in the order their rows are printed.
    const oursTargets: Array<[TargetKind, BenchProcess<{ url: string }> | null]> = [
      ['ours', cold],
      ['ours-open', open],
      ['ours-pipeline', pipeline],
      ['ours-entities-pipeline', entitiesPipeline],
      ['ours-entities', entities],
      ['ours-cached-pipeline', cachedPipeline],
      ['ours-cached', cached],
    ];
    for (const [kind, p] of oursTargets)
      if (p) list.push({ kind, url: p.ready.url, gatewayPids: [p.pid], counts: () => p.ask<OwnCounts>('counts') });
    return list;
  };
  const profilesNeeded = new Set(all.map((s) => s.profile));
  const [web, mobile] = await Promise.all([
    profilesNeeded.has('web') ? targetsOf('web') : [],
    profilesNeeded.has('mobile') ? targetsOf('mobile') : [],
  ]);
  const targets: Record<GatewayName, Target[]> = { web, mobile };
  console.log(`everything up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const snapshot = async (target: Target): Promise<Counters> => {
    // One pass over /proc for every process, not one per process (a busy machine has many).
    const cpu = await cpuMsOfTrees([...target.gatewayPids, ...subgraphs.map((s) => s.pid)]);
    const gatewayCpu = cpu.slice(0, target.gatewayPids.length);
    const subgraphCpu = cpu.slice(target.gatewayPids.length);
    const [counts, own] = await Promise.all([
      Promise.all(subgraphs.map((s) => s.ask<{ requests: number; statements: number }>('counts'))),
      target.counts?.(),
    ]);
    return {
      gatewayCpuMs: gatewayCpu.reduce((a, b) => a + b, 0),
      subgraphCpuMs: subgraphCpu.reduce((a, b) => a + b, 0),
      subgraphRequests: counts.reduce((a, c) => a + c.requests, 0),
      statements: counts.reduce((a, c) => a + c.statements, 0),
      redisCommands: own?.redisCommands ?? 0,
      failedCalls: own?.failedCalls ?? 0,
      shared: own?.shared ?? 0,
      representationsAsked: own?.representations.asked ?? 0,
      representationsSent: own?.representations.sent ?? 0,
      responseHits: own?.cache?.response.hits ?? 0,
      responseMisses: own?.cache?.response.misses ?? 0,
    };
  };

  /** One measured run of `amount` requests from request number `from`, with the failures it showed. */
  const measure = async (
    target: Target,
    scenario: Scenario,
    connections: number,
    amount: number,
    from: number,
  ): Promise<Measurement> => {
    const before = await snapshot(target);
    const { result, seconds } = await load(target.url, scenario, askedAs(target.kind), amount, connections, from);
    const after = await snapshot(target);
    const done = result.requests.total;
    const per = (k: keyof Counters) => (after[k] - before[k]) / Math.max(1, done);
    const m: Measurement = {
      scenario: scenario.name,
      target: target.kind,
      label: TARGET_LABELS[target.kind],
      connections,
      requests: done,
      non2xx: result.non2xx + result.errors + result.timeouts,
      requestsPerSecond: done / seconds,
      p50: result.latency.p50,
      p99: result.latency.p99,
      gatewayCpuMsPerRequest: per('gatewayCpuMs'),
      subgraphCpuMsPerRequest: target.kind === 'ceiling' ? 0 : per('subgraphCpuMs'),
      subgraphRequestsPerOperation: per('subgraphRequests'),
      statementsPerOperation: per('statements'),
      redisCommandsPerOperation: per('redisCommands'),
      // Only ours counts these; a peer's row shows none rather than a zero it never measured.
      ...(target.counts
        ? {
            sharedInflight: per('shared'),
            representationsAskedPerOperation: per('representationsAsked'),
            representationsSentPerOperation: per('representationsSent'),
          }
        : {}),
      ...(askedAs(target.kind) === 'ours-cached' ? { responseHitShare: hitShare(before, after) } : {}),
      bytesPerResponse: Math.round(result.throughput.total / Math.max(1, done)),
    };
    const failedCalls = after.failedCalls - before.failedCalls;
    if (failedCalls > 0)
      failures.push(
        `${scenario.name}: ${m.label} at ${connections} connections: ${failedCalls} subgraph calls failed (partial answers)`,
      );
    if (m.non2xx > 0)
      failures.push(`${scenario.name}: ${m.label} at ${connections} connections: ${m.non2xx} failed requests`);
    return m;
  };

  const measurements: Measurement[] = [];
  let offset = 0;
  for (const scenario of all) {
    const runs = targetsOfScenario(scenario);
    const list: Target[] = targets[scenario.profile].filter(
      (t) => t.kind === 'stock' || runs.includes(t.kind) || runs.includes(pipelineVariantOf(t.kind) ?? t.kind),
    );
    // Stock's answer is the reference; the ceiling replays it byte for byte.
    const stockTarget = list[0] as Target;
    const reference = await post(stockTarget.url, scenario.reference('stock'));
    if (reference.json.errors || !reference.json.data) {
      failures.push(`${scenario.name}: stock answered with errors: ${reference.text.slice(0, 500)}`);
      continue;
    }
    const expected = JSON.stringify(canonical(reference.json.data));
    const path = `/${encodeURIComponent(scenario.name)}`;
    await ceiling.ask('record', { path, body: reference.text });
    if ((!wantedTargets || wantedTargets.includes('ceiling')) && runs.includes('ceiling'))
      list.push({ kind: 'ceiling', url: `${ceiling.ready.url}${path}`, gatewayPids: [ceiling.pid] });
    console.log(`\n${scenario.name}: ${reference.text.length} bytes`);

    for (let round = 0; round < settings.BENCH_ROUNDS; round += 1)
      // Stock first (the reference), the others in an order rotated each round: JIT warming favours
      // whoever comes later in a run, and an A/B must not hand that to one side.
      for (const target of [stockTarget, ...rotated(list.slice(1), round)]) {
        const answer = await post(target.url, scenario.reference(askedAs(target.kind)));
        const same = !answer.json.errors && JSON.stringify(canonical(answer.json.data)) === expected;
        if (!same) {
          failures.push(
            `${scenario.name}: ${TARGET_LABELS[target.kind]} answered differently from stock: ${answer.text.slice(0, 300)}`,
          );
          console.log(`  ${TARGET_LABELS[target.kind]}: WRONG ANSWER, not measured`);
          continue;
        }
        const fast =
          target.kind === 'ceiling' || (askedAs(target.kind) === 'ours-cached' && scenario.cachedRun === 'hits');
        for (const connections of connectionCounts) {
          const amount = Math.max(
            connections * 2,
            Math.round((fast ? settings.BENCH_HIT_REQUESTS : settings.BENCH_REQUESTS) / (connections === 1 ? 2 : 1)),
          );
          // Warm-up: plans, pools, JIT and (for a cached run) the entry, outside the measured run (a
          // fast target's code runs thousands of times a second: its JIT needs more requests than a
          // computed answer's). A quick run makes no timing claims, so it has none (the correctness
          // request came first).
          if (!quick)
            await load(
              target.url,
              scenario,
              target.kind,
              Math.max(connections, fast ? Math.round(amount / 5) : Math.min(50, Math.round(amount / 10))),
              connections,
              offset,
            );
          offset += 1000;
          // A fast run (a cache hit, the ceiling) lasts about a second: one is at the mercy of whatever
          // else the machine does in it. Both sides of their ratio run BENCH_FAST_REPEATS times, each
          // with the same request count, and the run of median throughput is reported.
          const runs: Measurement[] = [];
          for (let repeat = 0; repeat < (fast && !quick ? settings.BENCH_FAST_REPEATS : 1); repeat += 1) {
            const m = await measure(target, scenario, connections, amount, offset);
            offset += amount;
            runs.push(m);
          }
          const m = medianRun(runs);
          measurements.push(m);
          console.log(
            `  ${m.label.padEnd(26)} ${String(connections).padStart(3)} conn ${m.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${m.p50} p99 ${m.p99} ms  cpu gw ${m.gatewayCpuMsPerRequest.toFixed(2)} sg ${m.subgraphCpuMsPerRequest.toFixed(2)} ms  sg req ${m.subgraphRequestsPerOperation.toFixed(1)}  sql ${m.statementsPerOperation.toFixed(1)}  redis ${m.redisCommandsPerOperation.toFixed(1)}  shared ${(100 * (m.sharedInflight ?? 0)).toFixed(0)}%  reps ${(m.representationsSentPerOperation ?? 0).toFixed(1)}/${(m.representationsAskedPerOperation ?? 0).toFixed(1)}${m.responseHitShare === undefined ? '' : `  cache hits ${(100 * m.responseHitShare).toFixed(1)}%`}`,
          );
        }
      }
  }
  // Checkout throughput, with an orders and a gateway of its own (bench/checkout.ts).
  let checkout: CheckoutMeasurement | undefined;
  if (!wanted || wanted.some((w) => CHECKOUT_SCENARIO.includes(w))) {
    console.log(`\n${CHECKOUT_SCENARIO}:`);
    const run = quick ? CHECKOUT_RUNS.quick : CHECKOUT_RUNS.full;
    checkout = await benchCheckout({ run, env, subgraphEnv: SUBGRAPH_ENV, fork, subgraphs, failures });
    console.log(describeCheckout(checkout));
  }
  const report: BenchReport = {
    at: new Date().toISOString(),
    quick,
    partial: Boolean(settings.BENCH_SCENARIOS ?? settings.BENCH_TARGETS),
    settings,
    machine: await machine(),
    measurements,
    checkout,
    failures,
  };
  const files = await writeReport(report);
  console.log(`\nWrote ${files.join(', ')}`);
  await rm(workDir, { recursive: true, force: true });
} finally {
  await Promise.all(started.map((p) => p.stop().catch(() => undefined)));
  // In parallel: each DROP DATABASE waits for a checkpoint, and concurrent ones share it.
  await Promise.all(
    (await listDatabases(settings.DATABASE_URL, prefix)).map((name) => dropDatabase(settings.DATABASE_URL, name)),
  );
  const redis = new Redis(settings.BENCH_REDIS_URL, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } catch {
    // Redis was not there: nothing of this run to delete.
  } finally {
    redis.disconnect();
  }
}

/** The run of median throughput among repeated ones (the upper of the two middle ones for an even count). */
function medianRun(runs: readonly Measurement[]): Measurement {
  const sorted = [...runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  const median = sorted[Math.floor(sorted.length / 2)] as Measurement;
  return runs.length > 1 ? { ...median, runs: runs.map((r) => r.requestsPerSecond) } : median;
}

async function machine(): Promise<string> {
  const os = await import('node:os');
  const cpus = os.cpus();
  return `${cpus.length} x ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

if (failures.length) {
  console.error(`\n${failures.length} failure(s):\n${failures.map((f) => `- ${f}`).join('\n')}`);
  process.exitCode = 1;
}
