// `npm start`: every subgraph and both gateways as separate processes, databases migrated and seeded,
// URLs printed; Ctrl-C stops them all. A process that dies is reported by name.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ROOT_DIR } from '../lib/composition.ts';
import { devTokenFromEnv } from '../lib/auth/index.ts';
import { DEMO_USER_ID } from '../lib/seed/index.ts';
import { GATEWAYS, portVariable, SUBGRAPH_NAMES, SUBGRAPHS, urlVariable, type GatewayName } from '../lib/services.ts';

const READY_TIMEOUT_MS = 180_000;
const STOP_GRACE_MS = 10_000;

interface Proc {
  name: string;
  entry: string;
  port: number;
  child?: ChildProcess;
  stopping?: boolean;
}

function portFor(name: Parameters<typeof portVariable>[0], fallback: number): number {
  const value = process.env[portVariable(name)];
  return value ? Number(value) : fallback;
}

const host = process.env.HOST ?? '127.0.0.1';
const subgraphs: Proc[] = SUBGRAPH_NAMES.map((name) => ({
  name,
  entry: `subgraphs/${name}/src/index.ts`,
  port: portFor(name, SUBGRAPHS[name].port),
}));
const gateways: Proc[] = (Object.keys(GATEWAYS) as GatewayName[]).map((name) => ({
  name: `gateway-${name}`,
  entry: `gateway-${name}/src/index.ts`,
  port: portFor(`gateway-${name}`, GATEWAYS[name].port),
}));
const all = [...subgraphs, ...gateways];
const width = Math.max(...all.map((p) => p.name.length));
let shuttingDown = false;
let started = false;

const childEnv: NodeJS.ProcessEnv = {
  ...process.env,
  SEED_ON_START: process.env.SEED_ON_START ?? 'true',
  ...Object.fromEntries(
    subgraphs.map((p) => [portVariable(p.name as (typeof SUBGRAPH_NAMES)[number]), String(p.port)]),
  ),
  ...Object.fromEntries(gateways.map((p) => [portVariable(p.name as `gateway-${GatewayName}`), String(p.port)])),
  ...Object.fromEntries(
    SUBGRAPH_NAMES.map((name, i) => [
      urlVariable(name),
      process.env[urlVariable(name)] ?? `http://${host}:${subgraphs[i]!.port}/graphql`,
    ]),
  ),
};

/** Pino's JSON lines, shortened for a terminal: `users      | info  subgraph ready`. */
function relay(proc: Proc, stream: NodeJS.ReadableStream): void {
  const levels: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
  createInterface({ input: stream }).on('line', (line) => {
    let text = line;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
      text = `${(levels[entry.level ?? 30] ?? 'info').padEnd(5)} ${entry.msg ?? ''}${entry.err?.message ? `: ${entry.err.message}` : ''}`;
    } catch {
      // not JSON: print as it is
    }
    process.stdout.write(`${proc.name.padEnd(width)} | ${text}\n`);
  });
}

function launch(proc: Proc): void {
  const child = spawn(process.execPath, ['--import', 'tsx', proc.entry], {
    cwd: ROOT_DIR,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.child = child;
  relay(proc, child.stdout);
  relay(proc, child.stderr);
  child.on('exit', (code, signal) => {
    if (proc.stopping) return;
    console.error(
      `\n✖ ${proc.name} exited unexpectedly (${signal ? `signal ${signal}` : `code ${code}`}); the others keep running.\n`,
    );
    if (!started) void shutdown(1);
  });
}

async function waitReady(proc: Proc): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const url = `http://${host}:${proc.port}/ready`;
  while (Date.now() < deadline) {
    if (proc.child?.exitCode !== null || proc.child?.signalCode)
      throw new Error(`${proc.name} exited before it was ready`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${proc.name} was not ready within ${READY_TIMEOUT_MS / 1000}s (${url})`);
}

async function shutdown(code: number): Promise<never> {
  if (!shuttingDown) {
    shuttingDown = true;
    const running = all.filter((p) => p.child && p.child.exitCode === null && !p.child.signalCode);
    const exited = running.map((p) => new Promise<void>((resolve) => p.child?.once('exit', () => resolve())));
    for (const proc of running) {
      proc.stopping = true;
      proc.child?.kill('SIGTERM');
    }
    const timer = setTimeout(() => running.forEach((p) => p.child?.kill('SIGKILL')), STOP_GRACE_MS);
    await Promise.all(exited);
    clearTimeout(timer);
    console.log('All processes stopped.');
  }
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

const t0 = Date.now();
const where = process.env.DATABASE_URL
  ? 'Postgres (DATABASE_URL)'
  : `embedded PGlite under ${process.env.DATA_DIR ?? '.data'}/`;
console.log(`Starting 6 subgraphs on ${where}, then 2 gateways...`);
// Orders calls inventory, payments and products (its saga's steps, its price snapshots) at the fixed
// URLs below, so it starts with them rather than after them: a saga step that finds a provider not
// yet up is retried, and serial starts would add orders' whole start-up to the wait.
try {
  subgraphs.forEach(launch);
  await Promise.all(subgraphs.map(waitReady));
  gateways.forEach(launch);
  await Promise.all(gateways.map(waitReady));
} catch (error) {
  console.error(`\n✖ ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
}
started = true;
const web = `http://${host}:${gateways[0]!.port}/graphql`;
const example =
  '{ products(first: 3) { edges { node { name price { amount currency } stock { available } averageRating } } } }';
// The same key the gateways verify with (JWT_SECRET or the development secret); none in production or with a JWKS.
const demoToken = await devTokenFromEnv(DEMO_USER_ID, childEnv).then(
  (token) => ({ token, note: '' }),
  (error: unknown) => ({ token: null, note: error instanceof Error ? error.message : String(error) }),
);
const signedIn = '{ me { name email orders(first: 3) { totalCount edges { node { status total { amount } } } } } }';
const tokenBanner = demoToken.token
  ? `Development token for the demo user (valid 12 h; \`npm run token -- <userId>\` for another user):
  ${demoToken.token}

  curl -s ${web} -H 'content-type: application/json' -H 'authorization: Bearer ${demoToken.token}' \\
    -d '${JSON.stringify({ query: signedIn })}'`
  : `No development token: ${demoToken.note}`;
console.log(`
Ready in ${((Date.now() - t0) / 1000).toFixed(1)}s.

${all.map((p) => `  ${p.name.padEnd(15)} http://${host}:${p.port}/graphql  (pid ${p.child?.pid})`).join('\n')}

Try:
  curl -s ${web} -H 'content-type: application/json' \\
    -d '${JSON.stringify({ query: example })}'

Demo user id: ${DEMO_USER_ID}
${tokenBanner}

Ctrl-C stops everything.
`);
