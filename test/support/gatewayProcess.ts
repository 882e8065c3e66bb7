import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT_DIR } from '../../lib/composition.ts';
import { portVariable, SUBGRAPH_NAMES, urlVariable, type GatewayName, type SubgraphName } from '../../lib/services.ts';
import { TEST_SIGNING_SECRET } from './auth.ts';

/**
 * A real gateway process (`node --import tsx gateway-<name>/src/index.ts`) on `port`, reaching the
 * given subgraphs, configured by `env` on top (REDIS_*, RATE_LIMIT_*...).
 */
export class GatewayProcess {
  #child: ChildProcess | null = null;
  #stderr = '';

  constructor(
    readonly name: GatewayName,
    readonly port: number,
    readonly subgraphUrls: Record<SubgraphName, string>,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/graphql`;
  }

  get running(): boolean {
    return this.#child !== null && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async start(timeoutMs = 45_000): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', `gateway-${this.name}/src/index.ts`], {
      cwd: ROOT_DIR,
      env: {
        PATH: process.env.PATH,
        [portVariable(`gateway-${this.name}`)]: String(this.port),
        HOST: '127.0.0.1',
        GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET,
        LOG_LEVEL: 'warn',
        // As in test/support/gateway.ts: no retries (they would change request counts) and timeouts
        // far above what a loaded machine needs.
        SUBGRAPH_POLICY: JSON.stringify({ timeoutMs: 20_000, budgetMs: 40_000, retry: { maxAttempts: 1 } }),
        ...Object.fromEntries(SUBGRAPH_NAMES.map((s) => [urlVariable(s), this.subgraphUrls[s]])),
        ...this.env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-4000);
    });
    this.#child = child;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`gateway-${this.name} exited while starting: ${this.#stderr}`);
      try {
        const response = await fetch(`http://127.0.0.1:${this.port}/health`, { signal: AbortSignal.timeout(500) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    await this.stop();
    throw new Error(`gateway-${this.name} did not become healthy within ${timeoutMs} ms: ${this.#stderr}`);
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
