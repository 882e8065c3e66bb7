// `npm start` cannot lie, with real processes on ports of this test's own (never the defaults). On a
// bare machine (no DATABASE_URL) every subgraph runs on embedded PGlite under DATA_DIR: the stack
// comes up as eight processes, answers through gateway-web on seeded data, and prints a token that
// signs the demo user in. It refuses before starting anything when a port is taken or another
// `npm start` holds the same DATA_DIR (naming the port or the pid), takes over a stale lock, reports
// a process that dies by name, kills a child that does not stop within its drain timeout on Ctrl-C,
// stops cleanly (exit 0) on Ctrl-C otherwise, exits 1 once every child has died, and names the
// service and the reset command when an embedded database is corrupted.
//
// One embedded stack from scratch serves every embedded check: creating six PGlite databases costs
// about 7 CPU-s each. The stops that need a stack of their own run on Postgres (own databases,
// migrated, not seeded), where starting costs no PGlite at all: how npm start stops its children
// does not depend on where they keep their data.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT_DIR } from '../lib/composition.ts';
import { PROCESS_NAMES } from '../lib/processes.ts';
import { DEMO_USER_ID } from '../lib/seed/index.ts';
import { portVariable, SUBGRAPH_NAMES } from '../lib/services.ts';
import { dropDatabasesWithPrefix, TEST_SERVER_URL, uniquePrefix } from './support/databases.ts';
import { postGraphQL } from './support/gateway.ts';
import { freePorts } from './support/ports.ts';

interface Run {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exit: Promise<number | null>;
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
}

let dataDir: string;
let ports: Record<string, number>;

function startStack(env: NodeJS.ProcessEnv = {}): Run {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  delete childEnv.DATABASE_URL; // embedded unless `env` names a server
  Object.assign(childEnv, {
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    SEED_ON_START: 'false',
    SHUTDOWN_DRAIN_MS: '1000',
    ...env,
  });
  for (const name of PROCESS_NAMES) childEnv[portVariable(name)] = String(ports[name]);
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: ROOT_DIR, env: childEnv });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exit,
    waitFor: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const poll = () => {
          const match = output.match(pattern);
          if (match) return resolve(match);
          if (Date.now() > deadline || child.exitCode !== null)
            return reject(new Error(`no ${pattern} (exit ${child.exitCode}); output:\n${output.slice(-4000)}`));
          setTimeout(poll, 100);
        };
        poll();
      }),
  };
}

function childPids(output: string): Record<string, number> {
  return Object.fromEntries(
    [...output.matchAll(/^\s+([\w-]+)\s+http:\S+\s+\(pid (\d+)\)$/gm)].map((m) => [m[1]!, Number(m[2])]),
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The parent pid of `pid`, from /proc. */
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'bff-start-'));
  const free = await freePorts(PROCESS_NAMES.length);
  ports = Object.fromEntries(PROCESS_NAMES.map((name, i) => [name, free[i]!]));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('npm start refuses before starting anything', () => {
  it('when one of its ports is taken, naming the port and the process', async () => {
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(ports.products, '127.0.0.1', resolve));
    try {
      const run = startStack();
      expect(await run.exit).toBe(1);
      expect(run.output()).toContain(`Port ${ports.products} (products) is already in use`);
      expect(run.output()).toContain('PRODUCTS_PORT=<port>');
      expect(run.output()).not.toContain('Starting');
      expect(run.output()).not.toContain('Ready');
      for (const name of PROCESS_NAMES.filter((n) => n !== 'products'))
        expect(await portIsFree(ports[name]!), `${name}'s port`).toBe(true);
      expect(existsSync(join(dataDir, '.npm-start.pid'))).toBe(false);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  }, 60_000);
});

describe('npm start on embedded databases, from scratch', () => {
  let first: Run;
  let pids: Record<string, number>;
  let webUrl: string;

  beforeAll(async () => {
    // A lock left by an npm start that died: its pid is gone, so the lock is stale and taken over.
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.once('exit', resolve));
    writeFileSync(join(dataDir, '.npm-start.pid'), `${dead.pid}\n`);
    first = startStack({ SEED_ON_START: 'true' });
    await first.waitFor(/Ready in [\d.]+s/, 240_000);
    pids = childPids(first.output());
    webUrl = `http://127.0.0.1:${ports['gateway-web']}/graphql`;
  }, 250_000);

  afterAll(() => {
    if (first.child.exitCode === null) first.child.kill('SIGKILL');
    for (const pid of Object.values(pids ?? {})) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });

  it('took over the stale lock and prints "Ready" listing the eight processes it started', () => {
    expect(readFileSync(join(dataDir, '.npm-start.pid'), 'utf8').trim()).toBe(String(first.child.pid));
    expect(Object.keys(pids).sort()).toEqual([...PROCESS_NAMES].sort());
    for (const pid of Object.values(pids)) expect(parentOf(pid)).toBe(first.child.pid);
  });

  it('keeps each service in its own PGlite directory', async () => {
    // Beside them only npm start's lock (.npm-start.pid).
    expect((await readdir(dataDir)).filter((n) => !n.startsWith('.')).sort()).toEqual([...SUBGRAPH_NAMES].sort());
  });

  it('answers a cross-subgraph query through gateway-web on seeded data', async () => {
    const response = await postGraphQL(
      webUrl,
      '{ products(first: 5) { totalCount edges { node { name price { amount } stock { available } averageRating reviews(first: 2) { edges { node { rating author { name } } } } } } } }',
    );
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    const products = response.body.data?.products as {
      totalCount: number;
      edges: Array<{ node: { stock: { available: number } } }>;
    };
    expect(products.totalCount).toBe(200);
    expect(products.edges).toHaveLength(5);
  });

  it('prints a development token for the demo user that signs them in', async () => {
    const token = first.output().match(/Development token for the demo user[^\n]*\n\s+(\S+)/)?.[1];
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const response = await postGraphQL(
      webUrl,
      '{ me { id orders(first: 1) { totalCount } } }',
      {},
      { authorization: `Bearer ${token}` },
    );
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.me).toEqual({ id: DEMO_USER_ID, orders: { totalCount: 13 } });
    // The subgraphs answer only what the gateways signed.
    const direct = await postGraphQL(`http://127.0.0.1:${ports.users}/graphql`, '{ me { id } }');
    expect(direct.status).toBe(401);
  });

  it('a second npm start on the same data directory is refused, naming the holder', async () => {
    const second = startStack();
    expect(await second.exit).toBe(1);
    expect(second.output()).toContain(`Another npm start (pid ${first.child.pid}) is using the embedded databases`);
    expect(second.output()).not.toContain('Starting');
    expect(readFileSync(join(dataDir, '.npm-start.pid'), 'utf8').trim()).toBe(String(first.child.pid));
  }, 60_000);

  it('reports a process that dies by its name', async () => {
    process.kill(pids.reviews!, 'SIGKILL');
    await first.waitFor(/✖ reviews exited unexpectedly \(signal SIGKILL\)/, 10_000);
    // The rest still answers; the reviews fields fail alone.
    const response = await postGraphQL(webUrl, '{ products(first: 1) { edges { node { name averageRating } } } }');
    expect(response.status).toBe(200);
    expect((response.body.data?.products as { edges: Array<{ node: { name: string } }> }).edges[0]?.node.name).toEqual(
      expect.any(String),
    );
    expect(response.body.errors?.length).toBeGreaterThan(0);
  });

  it('on Ctrl-C kills a child that does not stop within its drain timeout, and frees its port', async () => {
    // A stopped process cannot run its SIGTERM handler: like a gateway whose event loop is blocked.
    process.kill(pids['gateway-web']!, 'SIGSTOP');
    first.child.kill('SIGINT');
    expect(await first.exit).toBe(1);
    expect(first.output()).toMatch(/✖ gateway-web did not stop within [\d.]+s of SIGTERM: killed\./);
    expect(first.output()).toContain('All processes stopped.');
    for (const [name, pid] of Object.entries(pids)) expect(alive(pid), `${name} (pid ${pid})`).toBe(false);
    expect(await portIsFree(ports['gateway-web']!)).toBe(true);
    expect(existsSync(join(dataDir, '.npm-start.pid'))).toBe(false);
  }, 60_000);
});

describe('npm start on Postgres, stopping', () => {
  const prefix = uniquePrefix('start');
  const onPostgres = { DATABASE_URL: TEST_SERVER_URL, DATABASE_PREFIX: prefix };

  afterAll(() => dropDatabasesWithPrefix(prefix));

  it('stops every process on Ctrl-C and exits 0', async () => {
    const run = startStack(onPostgres);
    await run.waitFor(/Ready in [\d.]+s/, 240_000);
    const pids = childPids(run.output());
    expect(Object.keys(pids)).toHaveLength(8);
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(0);
    expect(run.output()).toContain('All processes stopped.');
    expect(run.output()).not.toContain('✖');
    for (const [name, pid] of Object.entries(pids)) expect(alive(pid), `${name} (pid ${pid})`).toBe(false);
  }, 250_000);

  it('exits 1 once every child has died', async () => {
    const run = startStack(onPostgres);
    await run.waitFor(/Ready in [\d.]+s/, 240_000);
    const pids = childPids(run.output());
    for (const pid of Object.values(pids)) process.kill(pid, 'SIGKILL');
    expect(await run.exit).toBe(1);
    expect(run.output()).toContain('✖ Every process has exited.');
    expect(run.output()).toMatch(/✖ users exited unexpectedly \(signal SIGKILL\)/);
  }, 250_000);
});

describe('npm start on a corrupted embedded database', () => {
  it('names the service and the command that resets it', async () => {
    // What a PGlite directory opened by two processes at once was seen to become: unreadable.
    writeFileSync(join(dataDir, 'users', 'global', 'pg_control'), Buffer.alloc(8192, 7));
    const run = startStack();
    expect(await run.exit).toBe(1);
    const output = run.output();
    expect(output).toMatch(/✖ users's embedded database \(.*users\/\) cannot be opened/);
    expect(output).toContain(`rm -rf '${join(dataDir, 'users')}' && npm start`);
    expect(output).not.toContain('Ready in');
  }, 250_000);
});
