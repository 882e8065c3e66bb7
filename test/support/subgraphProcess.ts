import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT_DIR } from '../../lib/composition.ts';
import { portVariable, type SubgraphName } from '../../lib/services.ts';
import { TEST_SIGNING_SECRET } from './auth.ts';
import { databaseEnv } from './databases.ts';

/**
 * A real subgraph process (`node --import tsx subgraphs/<name>/src/index.ts`) on a fixed port, on
 * the databases under `prefix` (migrated and seeded beforehand). `kill` sends a signal and waits for
 * the exit; `start` brings it back on the same port.
 */
export class SubgraphProcess {
  #child: ChildProcess | null = null;
  #stderr = '';

  constructor(
    readonly name: SubgraphName,
    readonly port: number,
    readonly prefix: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/graphql`;
  }

  get running(): boolean {
    return this.#child !== null && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async start(timeoutMs = 30_000): Promise<void> {
    if (this.running) return;
    this.#stderr = '';
    const child = spawn(process.execPath, ['--import', 'tsx', `subgraphs/${this.name}/src/index.ts`], {
      cwd: ROOT_DIR,
      env: {
        ...databaseEnv(this.prefix),
        [portVariable(this.name)]: String(this.port),
        HOST: '127.0.0.1',
        GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET,
        SEED_ON_START: 'false',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-4000);
    });
    this.#child = child;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} process exited while starting: ${this.#stderr}`);
      try {
        const response = await fetch(`http://127.0.0.1:${this.port}/health`, { signal: AbortSignal.timeout(500) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    await this.kill('SIGKILL');
    throw new Error(`${this.name} process did not become healthy within ${timeoutMs} ms: ${this.#stderr}`);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  }
}
