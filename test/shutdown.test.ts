// SIGTERM under load, against a real subgraph process started through the image's entry point
// (scripts/serve.ts): /ready turns 503 at once while requests are still served for
// SHUTDOWN_DELAY_MS, a client that stops sending when /ready fails (as a load balancer or the
// gateways' health checks do) sees no failed request, a request still in flight after the listener
// closed is finished, and the process then closes its pools and exits 0.
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROOT_DIR } from '../lib/composition.ts';
import { portVariable } from '../lib/services.ts';
import { gatewaySigned, TEST_SIGNING_SECRET } from './support/auth.ts';
import { databaseEnv, dropDatabasesWithPrefix, uniquePrefix } from './support/databases.ts';
import { freePorts } from './support/ports.ts';

const prefix = uniquePrefix('shutdown');
const MAX_REQUESTS = 3000;
const CONCURRENCY = 8;
let port: number;

beforeAll(async () => {
  [port] = (await freePorts(1)) as [number];
});

afterAll(async () => {
  await dropDatabasesWithPrefix(prefix);
});

const query = JSON.stringify({ query: '{ users(first: 3) { totalCount edges { node { id name } } } }' });

/** A POST whose body arrives in two parts `gapMs` apart: in flight across the moment the listener closes. */
function slowRequest(gapMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = Buffer.from(query);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          ...gatewaySigned({ userId: null, client: 'web' }),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.write(body.subarray(0, 10));
    setTimeout(() => req.end(body.subarray(10)), gapMs);
  });
}

it('drains a loaded process on SIGTERM with no failed request, then exits 0', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/serve.ts', 'users'], {
    cwd: ROOT_DIR,
    env: {
      ...databaseEnv(prefix),
      [portVariable('users')]: String(port),
      HOST: '127.0.0.1',
      GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET,
      SEED_ON_START: 'true',
      LOG_LEVEL: 'info',
      SHUTDOWN_DELAY_MS: '3000',
      SHUTDOWN_DRAIN_MS: '10000',
      // As npm start runs it, not as vitest's NODE_ENV=test: Apollo installs signal handlers of its own
      // outside tests, which made every stop overrun its drain and exit 1.
      NODE_ENV: 'development',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 150_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`users exited while starting:\n${logs}`);
      const ready = await fetch(`${base}/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`users not ready:\n${logs}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    let stopSending = false;
    let sent = 0;
    let succeeded = 0;
    const failures: string[] = [];
    const readiness: number[] = [];
    const worker = async () => {
      while (!stopSending && sent < MAX_REQUESTS) {
        sent += 1;
        try {
          const response = await fetch(`${base}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...gatewaySigned({ userId: null, client: 'web' }) },
            body: query,
          });
          const body = (await response.json()) as { errors?: unknown[]; data?: { users?: { totalCount: number } } };
          if (response.status === 200 && !body.errors && body.data?.users?.totalCount) succeeded += 1;
          else failures.push(`HTTP ${response.status} ${JSON.stringify(body).slice(0, 200)}`);
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    // The load balancer: stops routing here as soon as /ready fails.
    const poller = (async () => {
      while (!stopSending) {
        const status = await fetch(`${base}/ready`).then(
          (r) => r.status,
          () => 0,
        );
        readiness.push(status);
        if (status !== 200) stopSending = true;
        else await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
    const workers = Array.from({ length: CONCURRENCY }, worker);

    // Under way for a while (bounded), so the stop lands in the middle of a steady load.
    const warm = Date.now() + 60_000;
    while (succeeded < 200 && failures.length === 0 && Date.now() < warm)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const sentBeforeStop = sent;
    // In flight from before SIGTERM until after the listener closed (SHUTDOWN_DELAY_MS = 3 s).
    const slow = slowRequest(4500);
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill('SIGTERM');
    await Promise.all([...workers, poller]);

    expect(sentBeforeStop).toBeGreaterThanOrEqual(200);
    expect(sent).toBeGreaterThan(sentBeforeStop);
    expect(failures).toEqual([]);
    expect(succeeded).toBe(sent);
    // Not ready first (503 while still serving), never a refused connection.
    expect(readiness.at(-1)).toBe(503);
    const inFlight = await slow;
    expect(inFlight.status).toBe(200);
    expect(JSON.parse(inFlight.body)).toMatchObject({ data: { users: { totalCount: 50 } } });
    expect(await exited).toBe(0);
    const messages = logs
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages.indexOf('stopping: not ready, draining')).toBeGreaterThan(-1);
    expect(messages.indexOf('stopped')).toBeGreaterThan(messages.indexOf('stopping: not ready, draining'));
    console.log(`SIGTERM under load: ${sent} requests at concurrency ${CONCURRENCY}, ${failures.length} failed`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}, 240_000);

it('the image entry point applies one service migrations and exits (the migration Job), and names an unknown one', async () => {
  const migratePrefix = uniquePrefix('migratejob');
  const run = (args: string[]) =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/serve.ts', ...args], {
        cwd: ROOT_DIR,
        env: databaseEnv(migratePrefix),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => resolve({ code, output }));
    });
  try {
    const first = await run(['migrate', 'reviews']);
    expect(first.code).toBe(0);
    expect(first.output).toMatch(/^reviews\s+postgres.*: applied \d+/m);
    const again = await run(['migrate', 'reviews']);
    expect(again.output).toMatch(/^reviews\s+.*migrations up to date/m);
    const unknown = await run(['migrate', 'review']);
    expect(unknown.code).toBe(2);
    expect(unknown.output).toContain('Unknown service(s) to migrate: review');
  } finally {
    await dropDatabasesWithPrefix(migratePrefix);
  }
}, 180_000);
