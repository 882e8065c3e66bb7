import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, Redis } from 'ioredis';
import { freePorts } from './ports.ts';
import type { EventsConfig } from '../../lib/events/index.ts';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Domain-event delivery for tests that wait on invalidations: short blocks and a quick relay. */
export const TEST_EVENTS: EventsConfig = {
  maxDeliveries: 5,
  claimIdleMs: 1000,
  blockMs: 100,
  batchSize: 50,
  streamMaxLen: 10_000,
  relayPollMs: 50,
};

/** A key prefix of this test file's own, so files can share the test Redis. */
export function uniqueKeyPrefix(label: string): string {
  return `test:${label}:${Math.random().toString(36).slice(2, 10)}:`;
}

/** Removes every key under `prefix` (SCAN, never KEYS), on one Redis or on every master of a cluster. */
export async function deleteKeys(client: Redis | Cluster, prefix: string): Promise<number> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  let deleted = 0;
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      // One key per DEL: on a cluster, keys of one scan may sit in different slots.
      for (const key of keys) deleted += await node.del(key);
    } while (cursor !== '0');
  }
  return deleted;
}

async function waitForPing(port: number, timeoutMs: number, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`redis-server on ${port} exited while starting`);
    const probe = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    probe.on('error', () => {});
    try {
      await probe.connect();
      if ((await probe.ping()) === 'PONG') return;
    } catch {
      // not listening yet
    } finally {
      probe.disconnect();
    }
    await sleep(50);
  }
  throw new Error(`redis-server on ${port} did not answer within ${timeoutMs} ms`);
}

/** A throwaway redis-server child process on its own port: stop it and start it again to test failures. */
export class RedisServerProcess {
  #child: ChildProcess | null = null;

  constructor(
    readonly port: number,
    readonly extraArgs: string[] = [],
    readonly cwd?: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== null && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        ...this.extraArgs,
      ],
      {
        cwd: this.cwd,
        stdio: 'ignore',
      },
    );
    this.#child = child;
    await waitForPing(this.port, 10_000, () => !this.running);
  }

  /** SIGSTOP stalls the server with its sockets open (a slow Redis); SIGCONT resumes it. */
  signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    this.#child?.kill(signal);
  }

  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.running) this.#child?.kill('SIGCONT');
    const child = this.#child;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  }
}

export async function startRedisServer(): Promise<RedisServerProcess> {
  const [port] = await freePorts(1);
  const server = new RedisServerProcess(port!);
  await server.start();
  return server;
}

export interface RedisClusterFixture {
  nodes: Array<{ host: string; port: number }>;
  close(): Promise<void>;
}

/** Three masters with no replicas on loopback, in a temporary directory removed on close. */
export async function startRedisCluster(): Promise<RedisClusterFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'redis-cluster-'));
  const ports = await freePorts(3);
  const servers = ports.map(
    (port) =>
      new RedisServerProcess(port, ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`], dir),
  );
  const close = async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(servers.map((s) => s.start()));
    const create = spawn(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    create.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const [code] = (await once(create, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`redis-cli --cluster create failed (${code}): ${stderr}`);
    const nodes = ports.map((port) => ({ host: '127.0.0.1', port }));
    await waitForClusterOk(nodes);
    return { nodes, close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function waitForClusterOk(nodes: Array<{ host: string; port: number }>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const states = await Promise.all(
      nodes.map(async ({ port }) => {
        const probe = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
        probe.on('error', () => {});
        try {
          return /cluster_state:ok/.test(await probe.cluster('INFO'));
        } catch {
          return false;
        } finally {
          probe.disconnect();
        }
      }),
    );
    if (states.every(Boolean)) return;
    await sleep(100);
  }
  throw new Error('the Redis cluster did not reach cluster_state:ok');
}
