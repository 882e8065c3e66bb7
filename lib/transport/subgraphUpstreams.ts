import type { ReadinessReport } from '../http/index.ts';
import type { Logger } from '../observability/index.ts';
import { SUBGRAPH_NAMES, type SubgraphName } from '../services.ts';
import { RequestDeadlines } from './deadlines.ts';
import { resolvePolicy, type SubgraphPolicyOverrides } from './policy.ts';
import { SubgraphUpstream, type CallObserver, type UpstreamStats } from './subgraphUpstream.ts';

export interface SubgraphUpstreamsConfig {
  instances: Record<SubgraphName, readonly string[]>;
  policies?: SubgraphPolicyOverrides;
}

/**
 * Every subgraph's transport in one gateway process, built once from config and shared by the data
 * sources (calls), `/ready` (health) and whoever exports metrics (`stats()`).
 */
export class SubgraphUpstreams {
  readonly deadlines = new RequestDeadlines();
  readonly #upstreams: Map<SubgraphName, SubgraphUpstream>;

  constructor(config: SubgraphUpstreamsConfig, logger: Logger) {
    this.#upstreams = new Map(
      SUBGRAPH_NAMES.map((name) => [
        name,
        new SubgraphUpstream(name, config.instances[name], resolvePolicy(name, config.policies), logger),
      ]),
    );
    for (const upstream of this.#upstreams.values()) upstream.instances.startHealthChecks();
  }

  get(name: SubgraphName): SubgraphUpstream {
    const upstream = this.#upstreams.get(name);
    if (!upstream) throw new Error(`No upstream for subgraph "${name}"`);
    return upstream;
  }

  /** Tells `observer` about every call to every subgraph (metrics). */
  observe(observer: CallObserver): void {
    for (const upstream of this.#upstreams.values()) upstream.observer = observer;
  }

  /** Breaker, bulkhead and per-instance figures for every subgraph: metric-ready, and internal (it has URLs). */
  stats(): Record<SubgraphName, UpstreamStats> {
    return Object.fromEntries([...this.#upstreams].map(([name, upstream]) => [name, upstream.stats()])) as Record<
      SubgraphName,
      UpstreamStats
    >;
  }

  /**
   * Ready when every subgraph has at least one instance in rotation whose latest health check
   * passed (stricter than routing, which waits for a streak of failed checks). Per subgraph: `ok`,
   * `ok (1/2 instances healthy)` or `unreachable`, never a host name.
   */
  async readiness(): Promise<ReadinessReport> {
    const checks: Record<string, string> = {};
    for (const [name, upstream] of this.#upstreams) {
      await upstream.instances.checkedOnce();
      const healthy = upstream.instances.confirmedHealthyCount;
      const total = upstream.instances.instances.length;
      checks[name] =
        healthy === 0 ? 'unreachable' : healthy === total ? 'ok' : `ok (${healthy}/${total} instances healthy)`;
    }
    return { ready: Object.values(checks).every((check) => check !== 'unreachable'), checks };
  }

  async close(): Promise<void> {
    await Promise.all([...this.#upstreams.values()].map((upstream) => upstream.close()));
  }
}
