// `npm start` on a bare machine: no DATABASE_URL, so every subgraph runs on embedded PGlite under
// DATA_DIR. The stack comes up as eight processes, answers through gateway-web, reports a process
// that dies by name, and stops cleanly on Ctrl-C (SIGINT).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT_DIR } from '../lib/composition.ts';
import { portVariable, SUBGRAPH_NAMES } from '../lib/services.ts';
import { DEMO_USER_ID } from '../lib/seed/index.ts';
import { postGraphQL } from './support/gateway.ts';
import { freePorts } from './support/ports.ts';

let stack: ChildProcessWithoutNullStreams;
let output = '';
let dataDir: string;
let webUrl: string;

function waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${output.slice(-3000)}`)),
      timeoutMs,
    );
    const check = () => {
      const match = output.match(pattern);
      if (!match) return;
      clearTimeout(timer);
      stack.stdout.off('data', check);
      stack.stderr.off('data', check);
      resolve(match);
    };
    stack.stdout.on('data', check);
    stack.stderr.on('data', check);
    check();
  });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'bff-embedded-'));
  const [web, mobile, ...subgraphPorts] = await freePorts(8);
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'info' };
  delete env.DATABASE_URL;
  env[portVariable('gateway-web')] = String(web);
  env[portVariable('gateway-mobile')] = String(mobile);
  SUBGRAPH_NAMES.forEach((name, i) => (env[portVariable(name)] = String(subgraphPorts[i])));
  stack = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: ROOT_DIR, env });
  stack.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  stack.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitForOutput(/Ready in [\d.]+s/, 170_000);
  webUrl = `http://127.0.0.1:${web}/graphql`;
}, 180_000);

afterAll(async () => {
  if (stack && stack.exitCode === null) stack.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

describe('npm start on embedded databases', () => {
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
    const token = output.match(/Development token for the demo user[^\n]*\n\s+(\S+)/)?.[1];
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
    const usersUrl = output.match(/users\s+(http:\S+\/graphql)/)?.[1] ?? '';
    const direct = await postGraphQL(usersUrl, '{ me { id } }');
    expect(direct.status).toBe(401);
  });

  it('reports a process that dies by its name', async () => {
    const pid = Number(output.match(/reviews\s+http:\S+\s+\(pid (\d+)\)/)?.[1]);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    await waitForOutput(/✖ reviews exited unexpectedly \(signal SIGKILL\)/, 10_000);
    // The rest still answers; the reviews fields fail alone.
    const response = await postGraphQL(webUrl, '{ products(first: 1) { edges { node { name averageRating } } } }');
    expect(response.status).toBe(200);
    expect((response.body.data?.products as { edges: Array<{ node: { name: string } }> }).edges[0]?.node.name).toEqual(
      expect.any(String),
    );
    expect(response.body.errors?.length).toBeGreaterThan(0);
  });

  it('stops every process on Ctrl-C', async () => {
    const exited = new Promise<number | null>((resolve) => stack.once('exit', (code) => resolve(code)));
    stack.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('All processes stopped.');
    const pids = [...output.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(8);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  }, 20_000);
});
