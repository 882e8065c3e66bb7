import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT_DIR } from '../../lib/composition.ts';
import { entryNodeArgs } from '../../lib/prebuilt.ts';

/**
 * One of the project's server entry points as a real process (its prebuilt bundle, or
 * `node --import tsx <entry>` when that is missing or stale: lib/prebuilt.ts) on a fixed port: `start` waits for its `/health`, `kill` sends a signal and waits for the exit, and
 * `start` again brings it back on the same port. Its last stderr lines explain a failed start.
 */
export class ServerProcess {
  #child: ChildProcess | null = null;
  #stderr = '';

  constructor(
    readonly label: string,
    readonly entry: string,
    readonly port: number,
    private readonly environment: () => NodeJS.ProcessEnv,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/graphql`;
  }

  /** The process id while it runs (for /proc figures such as its resident memory). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== null && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async start(timeoutMs = 30_000): Promise<void> {
    if (this.running) return;
    this.#stderr = '';
    const child = spawn(process.execPath, entryNodeArgs(this.entry), {
      cwd: ROOT_DIR,
      env: this.environment(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-4000);
    });
    this.#child = child;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.label} exited while starting: ${this.#stderr}`);
      try {
        const response = await fetch(`http://127.0.0.1:${this.port}/health`, { signal: AbortSignal.timeout(500) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    await this.kill('SIGKILL');
    throw new Error(`${this.label} did not become healthy within ${timeoutMs} ms: ${this.#stderr}`);
  }

  /** Sends `signal` and waits for the exit; a SIGTERM not obeyed within 5 s becomes a SIGKILL. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    const timer = signal === 'SIGKILL' ? null : setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    if (timer) clearTimeout(timer);
  }
}
