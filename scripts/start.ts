// `npm start`: every subgraph and both gateways as separate processes, databases migrated and seeded,
// URLs printed; Ctrl-C stops them all. Before starting anything it refuses when one of its ports is
// taken or another `npm start` holds the same embedded databases (DATA_DIR), naming the port or the
// holder's pid. "Ready" is printed only once each of its own children said so (over IPC); a process
// that dies is reported by name (an embedded database that cannot be opened with the command that
// resets it), and when every process has died it exits 1. On Ctrl-C or SIGTERM a child that has
// not stopped within its drain timeout is killed.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT_DIR } from '../lib/composition.ts';
import { devTokenFromEnv } from '../lib/auth/index.ts';
import { CLOSE_GRACE_MS, shutdownConfigFromEnv } from '../lib/http/index.ts';
import { DEMO_USER_ID } from '../lib/seed/index.ts';
import { entryNodeArgs } from '../lib/prebuilt.ts';
import { GATEWAYS, portVariable, SUBGRAPH_NAMES, SUBGRAPHS, urlVariable, type GatewayName } from '../lib/services.ts';

const READY_TIMEOUT_MS = 180_000;

interface Proc {
  name: string;
  entry: string;
  port: number;
  child?: ChildProcess;
  stopping?: boolean;
  /** The child said it serves its port (IPC), so a `/ready` there is its own. */
  announced?: boolean;
  /** Its last error line, to explain an exit. */
  lastError?: string;
}

function fail(message: string): never {
  console.error(`\n✖ ${message}\n`);
  process.exit(1);
}

function portFor(name: Parameters<typeof portVariable>[0], fallback: number): number {
  const value = process.env[portVariable(name)];
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    fail(`${portVariable(name)}=${value} is not a port (1 to 65535)`);
  return port;
}

let shutdownConfig: ReturnType<typeof shutdownConfigFromEnv>;
try {
  shutdownConfig = shutdownConfigFromEnv();
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
/** A child still running this long after SIGTERM is killed: its own stop would have exited by then. */
const KILL_AFTER_MS = shutdownConfig.delayMs + shutdownConfig.drainMs + CLOSE_GRACE_MS + 1_000;
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

const embedded = !process.env.DATABASE_URL;
const dataDir = resolve(process.env.DATA_DIR ?? '.data');
const lockPath = join(dataDir, '.npm-start.pid');

/** A path as the user would type it: relative inside the working directory, else absolute. */
function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

/** A pid that is alive and, where /proc tells, an `npm start` (a stale lock's pid may have been reused). */
function isLiveStart(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('scripts/start.ts');
  } catch {
    return true;
  }
}

/** One `npm start` per data directory: PGlite directories opened by two processes get corrupted. */
function takeDataLock(): void {
  mkdirSync(dataDir, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(lockPath, `${process.pid}\n`, { flag: 'wx' });
      process.on('exit', () => {
        try {
          if (readFileSync(lockPath, 'utf8').trim() === String(process.pid)) unlinkSync(lockPath);
        } catch {
          // already gone
        }
      });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(readFileSync(lockPath, 'utf8').trim());
    if (Number.isInteger(holder) && holder > 0 && isLiveStart(holder))
      fail(
        `Another npm start (pid ${holder}) is using the embedded databases in ${shownPath(dataDir)}/. ` +
          `Stop it first (kill ${holder}), or give this one its own DATA_DIR.`,
      );
    unlinkSync(lockPath); // its holder is gone: a stale lock
  }
  fail(`Could not take the lock ${lockPath}`);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const probe = createServer();
    probe.once('error', () => resolvePort(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolvePort(true)));
  });
}

async function checkPorts(): Promise<void> {
  const byPort = new Map<number, string>();
  for (const proc of all) {
    const other = byPort.get(proc.port);
    if (other) fail(`${other} and ${proc.name} are both configured for port ${proc.port}.`);
    byPort.set(proc.port, proc.name);
  }
  const taken: Proc[] = [];
  for (const proc of all) if (!(await portFree(proc.port))) taken.push(proc);
  if (taken.length)
    fail(
      `${taken.map((p) => `Port ${p.port} (${p.name})`).join(', ')} ${taken.length > 1 ? 'are' : 'is'} already in use on ${host}: ` +
        `is another npm start or server running? Stop it, or move this stack with ${taken.map((p) => `${portVariable(p.name as never)}=<port>`).join(' ')}.`,
    );
}

/** The failure a PGlite directory that cannot be opened causes (seen after two processes shared one). */
const CORRUPTED_PGLITE =
  /PGlite failed to initialize|Aborted\(\)|RuntimeError: (unreachable|memory access out of bounds)/;

/** Pino's JSON lines, shortened for a terminal: `users      | info  subgraph ready`. */
function relay(proc: Proc, stream: NodeJS.ReadableStream): void {
  const levels: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
  createInterface({ input: stream }).on('line', (line) => {
    let text = line;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
      text = `${(levels[entry.level ?? 30] ?? 'info').padEnd(5)} ${entry.msg ?? ''}${entry.err?.message ? `: ${entry.err.message}` : ''}`;
      if ((entry.level ?? 30) >= 50) proc.lastError = text;
    } catch {
      // not JSON (a crash's own output): print as it is
      if (CORRUPTED_PGLITE.test(line)) proc.lastError = line;
    }
    process.stdout.write(`${proc.name.padEnd(width)} | ${text}\n`);
  });
}

function running(proc: Proc): boolean {
  return proc.child !== undefined && proc.child.exitCode === null && proc.child.signalCode === null;
}

function explainExit(proc: Proc): string {
  if (
    embedded &&
    SUBGRAPH_NAMES.includes(proc.name as never) &&
    proc.lastError &&
    CORRUPTED_PGLITE.test(proc.lastError)
  ) {
    const dir = shownPath(join(dataDir, proc.name));
    return (
      `${proc.name}'s embedded database (${dir}/) cannot be opened (${proc.lastError.trim()}); it is probably corrupted. ` +
      `Reset it, losing its data (npm start migrates and seeds it again):\n\n    rm -rf '${dir}' && npm start`
    );
  }
  return `${proc.name} exited${proc.lastError ? ` (${proc.lastError.trim()})` : ''}`;
}

function launch(proc: Proc): void {
  const child = spawn(process.execPath, entryNodeArgs(proc.entry), {
    cwd: ROOT_DIR,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Its own process group: a terminal's Ctrl-C reaches npm start alone, which stops the children
    // with SIGTERM and their drain, instead of each child getting SIGINT too.
    detached: true,
  });
  proc.child = child;
  child.on('message', (message: unknown) => {
    if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'ready')
      proc.announced = true;
  });
  relay(proc, child.stdout!);
  relay(proc, child.stderr!);
  child.on('exit', (code, signal) => {
    if (proc.stopping) return;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (!started) return; // waitReady reports it
    const left = all.filter(running);
    console.error(`\n✖ ${explainExit(proc)} unexpectedly (${how}); ${left.length} of ${all.length} still running.\n`);
    if (left.length === 0 && !shuttingDown) {
      console.error('✖ Every process has exited.');
      process.exit(1);
    }
  });
}

async function waitReady(proc: Proc): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const url = `http://${host}:${proc.port}/ready`;
  while (Date.now() < deadline) {
    if (!running(proc)) {
      // Let the last lines of its output arrive before explaining.
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
      throw new Error(`${explainExit(proc)} before it was ready`);
    }
    if (proc.announced) {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
        if (response.ok) return;
      } catch {
        // not answering yet
      }
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 250));
  }
  throw new Error(`${proc.name} was not ready within ${READY_TIMEOUT_MS / 1000}s (${url})`);
}

async function shutdown(code: number): Promise<never> {
  if (shuttingDown) {
    // A second Ctrl-C: no more waiting.
    for (const proc of all.filter(running)) proc.child?.kill('SIGKILL');
    process.exit(code || 1);
  }
  shuttingDown = true;
  const live = all.filter(running);
  const exited = live.map((p) => new Promise<void>((resolveExit) => p.child?.once('exit', () => resolveExit())));
  for (const proc of live) {
    proc.stopping = true;
    proc.child?.kill('SIGTERM');
  }
  let killed: string[] = [];
  const timer = setTimeout(() => {
    killed = live.filter(running).map((p) => p.name);
    for (const proc of live.filter(running)) proc.child?.kill('SIGKILL');
  }, KILL_AFTER_MS);
  await Promise.all(exited);
  clearTimeout(timer);
  if (killed.length) {
    console.error(`✖ ${killed.join(', ')} did not stop within ${KILL_AFTER_MS / 1000}s of SIGTERM: killed.`);
    code = code || 1;
  }
  console.log('All processes stopped.');
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGHUP', () => void shutdown(0));

// Nothing starts until the ports are free and, on embedded databases, the data directory is ours.
if (embedded) takeDataLock();
await checkPorts();

const t0 = Date.now();
const where = embedded ? `embedded PGlite under ${shownPath(dataDir)}/` : 'Postgres (DATABASE_URL)';
console.log(`Starting 6 subgraphs on ${where}, then 2 gateways...`);
// New embedded databases unpack one fresh cluster, made here once (one initdb), instead of six initdbs at once.
if (embedded) {
  const { ensurePgliteTemplate, isFreshDataDir } = await import('../lib/db/pgliteTemplate.ts');
  if (SUBGRAPH_NAMES.some((name) => isFreshDataDir(join(dataDir, name)))) await ensurePgliteTemplate();
}
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
