import { portVariable, SUBGRAPH_NAMES, urlVariable, type GatewayName, type SubgraphName } from '../../lib/services.ts';
import { TEST_SIGNING_SECRET } from './auth.ts';
import { ServerProcess } from './serverProcess.ts';

/**
 * A real gateway process (`node --import tsx gateway-<name>/src/index.ts`) on `port`, reaching the
 * given subgraphs, configured by `env` on top (REDIS_*, RATE_LIMIT_*...).
 */
export class GatewayProcess extends ServerProcess {
  constructor(
    readonly name: GatewayName,
    port: number,
    readonly subgraphUrls: Record<SubgraphName, string>,
    readonly env: NodeJS.ProcessEnv,
  ) {
    super(`gateway-${name}`, `gateway-${name}/src/index.ts`, port, () => ({
      PATH: process.env.PATH,
      [portVariable(`gateway-${name}`)]: String(port),
      HOST: '127.0.0.1',
      GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET,
      LOG_LEVEL: 'warn',
      // As in test/support/gateway.ts: no retries (they would change request counts) and timeouts
      // far above what a loaded machine needs.
      SUBGRAPH_POLICY: JSON.stringify({ timeoutMs: 20_000, budgetMs: 40_000, retry: { maxAttempts: 1 } }),
      // Caches off unless a test turns them on: a cache hit would change the counts other tests make.
      CACHE_ENABLED: 'false',
      ...Object.fromEntries(SUBGRAPH_NAMES.map((s) => [urlVariable(s), subgraphUrls[s]])),
      ...env,
    }));
  }

  override start(timeoutMs = 45_000): Promise<void> {
    return super.start(timeoutMs);
  }

  stop(): Promise<void> {
    return this.kill('SIGTERM');
  }
}
