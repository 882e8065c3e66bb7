// `npx tsx bench/replay.ts BASE_DIR`: the subgraphs' CPU per gateway request, base against this tree,
// A/B interleaved on the same databases. A gateway (ours or stock, caches off) answers each chosen
// scenario once through recording proxies; the subgraph calls it made are then sent again, round
// after round, to two sets of subgraph processes: one run from the server bundles in BASE_DIR (a copy
// of .build/servers made at the base commit), one from this tree's .build/servers. Every answer of
// the two sets must be the same bytes; CPU (utime + stime from /proc) is read per process before and
// after each scenario's calls, so each subgraph's own cost per gateway request comes out, base and
// change alternating in order round by round. Identity headers are signed afresh for every call.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { IDENTITY_HEADERS, signIdentity, type Identity } from '../lib/auth/index.ts';
import { dropDatabase, listDatabases } from '../lib/db/index.ts';
import { PREBUILT_DIR } from '../lib/prebuilt.ts';
import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/services.ts';
import { cpuMsOfTrees, stopChild } from './ipc.ts';
import { scenarios } from './scenarios.ts';

const settings = z
  .object({
    DATABASE_URL: z.string().url().default('postgresql://postgres@127.0.0.1:5432/postgres'),
    BENCH_REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
    /** Gateway requests recorded per scenario. */
    REPLAY_REQUESTS: z.coerce.number().int().positive().default(200),
    REPLAY_ROUNDS: z.coerce.number().int().positive().default(5),
    /** Subgraph calls in flight during a replay. */
    REPLAY_CONCURRENCY: z.coerce.number().int().positive().default(10),
    REPLAY_SCENARIOS: z.string().default('catalog page|web dashboard, rotating users|deep nested query'),
    // Scenario names hold commas: they are separated by '|'.
    REPLAY_GATEWAY: z.enum(['ours', 'stock']).default('ours'),
    /** A directory: the subgraph processes of both sets run with --cpu-prof and write profiles there. */
    REPLAY_CPU_PROF: z.string().optional(),
  })
  .parse(process.env);
const baseDir = process.argv[2] ? resolve(process.argv[2]) : null;
if (!baseDir) throw new Error('usage: tsx bench/replay.ts BASE_SERVERS_DIR (a copy of .build/servers)');

const prefix = `replay_${process.pid}_`;
const secret = randomBytes(32).toString('base64url');
const env: NodeJS.ProcessEnv = {
  ...process.env,
  DATABASE_URL: settings.DATABASE_URL,
  DATABASE_PREFIX: prefix,
  SEED_SCALE: '1',
  REDIS_URL: settings.BENCH_REDIS_URL,
  REDIS_KEY_PREFIX: `replay:${process.pid}:`,
  NODE_ENV: 'development',
  GATEWAY_SIGNING_SECRET: secret,
};
const signing = { secret: new TextEncoder().encode(secret) };

interface Child {
  child: ChildProcess;
  ready: Record<string, string>;
}

let asked = 0;
/** A bench subgraph's counters (bench/targets/subgraph.ts): GraphQL requests and SQL statements. */
function countsOf(child: ChildProcess): Promise<{ requests: number; statements: number }> {
  const id = 1_000_000 + asked++;
  return new Promise((done) => {
    const listener = (m: { id?: number; answer?: { requests: number; statements: number } }) => {
      if (m.id !== id || !m.answer) return;
      child.off('message', listener);
      done(m.answer);
    };
    child.on('message', listener);
    child.send({ id, ask: 'counts' });
  });
}
const children: ChildProcess[] = [];

async function start(
  bundle: string,
  args: string[],
  extra: NodeJS.ProcessEnv,
  execArgv: string[] = [],
): Promise<Child> {
  const child = fork(bundle, args, {
    env: { ...env, ...extra },
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  const ready = await new Promise<Record<string, string>>((done, fail) => {
    child.on('message', (m: { ready?: Record<string, string> }) => m.ready && done(m.ready));
    child.once('exit', (code) => fail(new Error(`${bundle} ${args.join(' ')} exited with ${code}`)));
  });
  return { child, ready };
}

/** One recorded subgraph call: where it went, its body and headers (identity to be re-signed). */
interface Call {
  subgraph: SubgraphName;
  body: string;
  headers: Record<string, string>;
  identity: Identity | null;
}

const DROPPED = new Set(['host', 'content-length', 'connection', ...Object.values(IDENTITY_HEADERS)]);

function recorder(
  target: () => string,
  calls: Call[],
  subgraph: SubgraphName,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !DROPPED.has(k)) headers[k] = v;
      const client = req.headers[IDENTITY_HEADERS.client];
      const identity =
        typeof client === 'string'
          ? ({ userId: (req.headers[IDENTITY_HEADERS.userId] as string | undefined) ?? null, client } as Identity)
          : null;
      if (req.method === 'POST') calls.push({ subgraph, body, headers, identity });
      const upstream = httpRequest(
        new URL(req.url ?? '/', target()),
        { method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', (e) => res.destroy(e));
      upstream.end(body);
    });
  });
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      done({ server, url: `http://127.0.0.1:${port}/graphql` });
    }),
  );
}

async function send(url: string, call: Call): Promise<string> {
  const headers = { ...call.headers, ...(call.identity ? signIdentity(call.identity, signing) : {}) };
  const res = await fetch(url, { method: 'POST', headers, body: call.body });
  return `${res.status} ${await res.text()}`;
}

async function inParallel<T>(items: T[], limit: number, each: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        await each(items[i] as T, i);
      }
    }),
  );
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

try {
  const sets = {
    base: join(baseDir, 'bench/targets/subgraph.mjs'),
    change: join(PREBUILT_DIR, 'bench/targets/subgraph.mjs'),
  };
  const prof = (set: string) =>
    settings.REPLAY_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${join(settings.REPLAY_CPU_PROF, set)}`] : [];
  const startSet = (set: 'base' | 'change') =>
    Promise.all(SUBGRAPH_NAMES.map((n) => start(sets[set], [n], { NODE_ENV: 'production' }, prof(set))));
  // Base first: it migrates and seeds; the change's processes find the data there.
  const base = await startSet('base');
  const change = await startSet('change');
  const urls = (set: Child[]) =>
    Object.fromEntries(set.map((c) => [c.ready.name, c.ready.url])) as Record<SubgraphName, string>;
  const baseUrls = urls(base);
  const changeUrls = urls(change);
  console.log('subgraphs up (base and change)');

  const calls: Call[] = [];
  const proxies = await Promise.all(SUBGRAPH_NAMES.map((n) => recorder(() => baseUrls[n], calls, n)));
  const proxyUrls = Object.fromEntries(SUBGRAPH_NAMES.map((n, i) => [n, proxies[i]?.url]));
  const gatewayBundle = join(PREBUILT_DIR, `bench/targets/${settings.REPLAY_GATEWAY}.mjs`);
  const gateway = await start(gatewayBundle, ['web'], {
    BENCH_PROFILE: 'web',
    BENCH_CACHED: 'false',
    BENCH_RATE_LIMITED: 'false',
    BENCH_SUBGRAPH_URLS: JSON.stringify(proxyUrls),
  });
  const wanted = settings.REPLAY_SCENARIOS.split('|').map((s) => s.trim());
  const chosen = (await scenarios()).filter((s) => s.profile === 'web' && wanted.includes(s.name));
  const recorded = new Map<string, Call[]>();
  for (const scenario of chosen) {
    // Warm the gateway's plans first, outside the recording.
    for (let n = 0; n < 3; n++) {
      const r = scenario.request('ours', n);
      await fetch(gateway.ready.url as string, { method: 'POST', headers: r.headers, body: r.body });
    }
    calls.length = 0;
    await inParallel(
      Array.from({ length: settings.REPLAY_REQUESTS }, (_, n) => n + 1000),
      4,
      async (n) => {
        const r = scenario.request('ours', n);
        const res = await fetch(gateway.ready.url as string, { method: 'POST', headers: r.headers, body: r.body });
        const json = (await res.json()) as { errors?: unknown };
        if (json.errors) throw new Error(`${scenario.name}: ${JSON.stringify(json.errors).slice(0, 300)}`);
      },
    );
    recorded.set(scenario.name, [...calls]);
    const per = Object.fromEntries(
      SUBGRAPH_NAMES.map((n) => [n, calls.filter((c) => c.subgraph === n).length / settings.REPLAY_REQUESTS]),
    );
    console.log(`${scenario.name}: ${calls.length} subgraph calls recorded`, per);
  }
  await stopChild(gateway.child);
  for (const p of proxies) p.server.close();

  // Both sets answer every call once (warm-up: their query caches, JIT, pools), and must agree byte for byte.
  let differences = 0;
  for (const [name, list] of recorded) {
    await inParallel(list, settings.REPLAY_CONCURRENCY, async (call) => {
      const [a, b] = await Promise.all([send(baseUrls[call.subgraph], call), send(changeUrls[call.subgraph], call)]);
      if (a !== b && differences++ < 5)
        console.log(
          `DIFFERENT ANSWER (${name}, ${call.subgraph}):\n  call ${call.body.slice(0, 300)}\n  base   ${a.slice(0, 600)}\n  change ${b.slice(0, 600)}`,
        );
    });
  }
  console.log(differences ? `${differences} answers differ` : 'every answer identical (base vs change)');

  const pids = { base: base.map((c) => c.child.pid as number), change: change.map((c) => c.child.pid as number) };
  const results: Record<string, Record<'base' | 'change', number[][]>> = {};
  for (let round = 0; round < settings.REPLAY_ROUNDS; round++) {
    const order: ('base' | 'change')[] = round % 2 ? ['change', 'base'] : ['base', 'change'];
    for (const [name, list] of recorded) {
      for (const set of order) {
        const url = set === 'base' ? baseUrls : changeUrls;
        const processes = set === 'base' ? base : change;
        const sqlBefore = await Promise.all(processes.map((p) => countsOf(p.child)));
        const before = await cpuMsOfTrees(pids[set]);
        await inParallel(list, settings.REPLAY_CONCURRENCY, async (call) => {
          await send(url[call.subgraph], call);
        });
        const after = await cpuMsOfTrees(pids[set]);
        const sqlAfter = await Promise.all(processes.map((p) => countsOf(p.child)));
        if (round === 0)
          console.log(
            `${name} ${set}: SQL statements per gateway request`,
            Object.fromEntries(
              SUBGRAPH_NAMES.map((n, i) => [
                n,
                ((sqlAfter[i]?.statements ?? 0) - (sqlBefore[i]?.statements ?? 0)) / settings.REPLAY_REQUESTS,
              ]),
            ),
          );
        const per = after.map((a, i) => (a - (before[i] as number)) / settings.REPLAY_REQUESTS);
        (results[name] ??= { base: [], change: [] })[set].push(per);
      }
    }
    console.log(`round ${round + 1}/${settings.REPLAY_ROUNDS} done`);
  }

  console.log(
    `\nSubgraph CPU ms per gateway request (${settings.REPLAY_GATEWAY} gateway's calls), median [min-max] of ${settings.REPLAY_ROUNDS} rounds`,
  );
  const fmt = (xs: number[]) =>
    `${median(xs).toFixed(2)} [${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}]`;
  for (const [name, r] of Object.entries(results)) {
    console.log(`\n${name}`);
    const totals = (set: 'base' | 'change') => r[set].map((row) => row.reduce((a, b) => a + b, 0));
    for (const [i, sg] of SUBGRAPH_NAMES.entries()) {
      const b = r.base.map((row) => row[i] as number);
      const c = r.change.map((row) => row[i] as number);
      if (median(b) === 0 && median(c) === 0) continue;
      console.log(
        `  ${sg.padEnd(10)} base ${fmt(b).padEnd(22)} change ${fmt(c).padEnd(22)} ratio ${(median(c) / median(b)).toFixed(2)}`,
      );
    }
    const tb = totals('base');
    const tc = totals('change');
    console.log(
      `  ${'total'.padEnd(10)} base ${fmt(tb).padEnd(22)} change ${fmt(tc).padEnd(22)} ratio ${(median(tc) / median(tb)).toFixed(2)}`,
    );
  }
} finally {
  await Promise.all(children.map((c) => stopChild(c, settings.REPLAY_CPU_PROF ? 60_000 : 5_000)));
  await Promise.all(
    (await listDatabases(settings.DATABASE_URL, prefix)).map((name) => dropDatabase(settings.DATABASE_URL, name)),
  );
}
