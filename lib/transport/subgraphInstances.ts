import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, Pool, request } from 'undici';
import type { Logger } from '../observability/index.ts';
import { SubgraphCallRejected } from './errors.ts';
import type { SubgraphPolicy } from './policy.ts';

export interface InstanceStats {
  /** The instance's GraphQL URL: for operators and metrics, never for clients. */
  url: string;
  healthy: boolean;
  lastCheckPassed: boolean | null;
  ejected: boolean;
  /** Requests sent, answered (any valid HTTP answer) and failed (transport, timeout, 5xx, garbage). */
  sent: number;
  succeeded: number;
  failed: number;
  ejections: number;
}

/** One process serving a subgraph, with its own keep-alive pool. */
export class SubgraphInstance {
  readonly url: URL;
  readonly pool: Pool;
  /**
   * In rotation as far as health checks go: optimistic at start, changed only by a streak of
   * checks, so one slow check (a busy event loop at start-up) does not take an instance out.
   */
  healthy = true;
  /** The latest check's verdict (null before the first): what readiness reports, strictly. */
  lastCheckPassed: boolean | null = null;
  ejectedUntil = 0;
  consecutiveFailures = 0;
  checkStreak = 0;
  readonly counts = { sent: 0, succeeded: 0, failed: 0, ejections: 0 };

  constructor(url: string, policy: SubgraphPolicy) {
    this.url = new URL(url);
    this.pool = new Pool(this.url.origin, {
      connections: policy.pool.connections ?? policy.bulkhead.maxConcurrent,
      keepAliveTimeout: policy.pool.keepAliveTimeoutMs,
      keepAliveMaxTimeout: policy.pool.keepAliveTimeoutMs,
    });
  }

  /** Path and query of the GraphQL endpoint, as the pool wants it. */
  get path(): string {
    return `${this.url.pathname}${this.url.search}`;
  }

  isEjected(now = Date.now()): boolean {
    return now < this.ejectedUntil;
  }

  isAvailable(now = Date.now()): boolean {
    return this.healthy && !this.isEjected(now);
  }
}

/**
 * The instances of one subgraph and the choice among them: round robin over the instances that pass
 * their health checks and are not ejected. Two signals take an instance out of rotation:
 * - active: `GET <origin>/health` every `health.intervalMs`; `unhealthyThreshold` failures in a row
 *   take it out, `healthyThreshold` successes bring it back;
 * - passive: `ejection.consecutiveFailures` failed requests in a row eject it for
 *   `ejection.durationMs`, except the last available instance (ejecting it would only turn errors
 *   into refusals; the breaker is the tool for that).
 */
export class SubgraphInstances {
  readonly instances: SubgraphInstance[];
  readonly #policy: SubgraphPolicy;
  readonly #logger: Logger;
  readonly #healthAgent: Agent;
  readonly #stopChecks = new AbortController();
  #cursor = 0;
  #firstRound: Promise<void> | null = null;

  constructor(
    readonly subgraph: string,
    urls: readonly string[],
    policy: SubgraphPolicy,
    logger: Logger,
  ) {
    if (urls.length === 0) throw new Error(`Subgraph ${subgraph} has no instance URL`);
    this.instances = urls.map((url) => new SubgraphInstance(url, policy));
    this.#policy = policy;
    this.#logger = logger;
    // Checks use their own connections so a pool saturated by slow calls cannot make a live instance look dead.
    this.#healthAgent = new Agent({ connections: 1, keepAliveTimeout: policy.health.intervalMs * 2 });
  }

  /** Starts the checks; the first round is what readiness waits for. */
  startHealthChecks(): void {
    this.#firstRound ??= Promise.all(
      this.instances.map(async (instance) => {
        await this.#check(instance);
        void this.#keepChecking(instance);
      }),
    ).then(() => undefined);
  }

  /** Resolves once every instance has been checked once. */
  async checkedOnce(): Promise<void> {
    this.startHealthChecks();
    await this.#firstRound;
  }

  get healthyCount(): number {
    return this.instances.filter((i) => i.healthy).length;
  }

  /** Instances in rotation whose latest check passed: readiness counts only these. */
  get confirmedHealthyCount(): number {
    return this.instances.filter((i) => i.healthy && i.lastCheckPassed === true).length;
  }

  hasHealthy(): boolean {
    return this.instances.some((i) => i.healthy);
  }

  /**
   * The next instance in rotation, preferring ones this call has not tried yet. When every healthy
   * instance is ejected, ejection is ignored rather than refusing the call: passive signals are
   * noisier than health checks.
   */
  pick(tried: ReadonlySet<SubgraphInstance> = new Set()): SubgraphInstance {
    const now = Date.now();
    let candidates = this.instances.filter((i) => i.isAvailable(now));
    if (candidates.length === 0) candidates = this.instances.filter((i) => i.healthy);
    if (candidates.length === 0) throw new SubgraphCallRejected('NO_HEALTHY_INSTANCE');
    const untried = candidates.filter((i) => !tried.has(i));
    const pool = untried.length ? untried : candidates;
    // Only first attempts turn the wheel, so retries do not skew the rotation of the others.
    const chosen = pool[this.#cursor % pool.length]!;
    if (tried.size === 0) this.#cursor = (this.#cursor + 1) % Number.MAX_SAFE_INTEGER;
    return chosen;
  }

  recordSuccess(instance: SubgraphInstance): void {
    instance.counts.succeeded++;
    instance.consecutiveFailures = 0;
  }

  recordFailure(instance: SubgraphInstance): void {
    instance.counts.failed++;
    instance.consecutiveFailures++;
    if (instance.consecutiveFailures < this.#policy.ejection.consecutiveFailures || instance.isEjected()) return;
    const now = Date.now();
    const othersAvailable = this.instances.some((other) => other !== instance && other.isAvailable(now));
    if (!othersAvailable) return;
    instance.ejectedUntil = now + this.#policy.ejection.durationMs;
    instance.consecutiveFailures = 0;
    instance.counts.ejections++;
    this.#logger.warn(
      { subgraph: this.subgraph, instance: instance.url.origin, durationMs: this.#policy.ejection.durationMs },
      `instance of ${this.subgraph} ejected after failed requests`,
    );
  }

  stats(): InstanceStats[] {
    const now = Date.now();
    return this.instances.map((i) => ({
      url: i.url.href,
      healthy: i.healthy,
      lastCheckPassed: i.lastCheckPassed,
      ejected: i.isEjected(now),
      ...i.counts,
    }));
  }

  async close(): Promise<void> {
    this.#stopChecks.abort();
    await Promise.all([...this.instances.map((i) => i.pool.close()), this.#healthAgent.close()]);
  }

  async #keepChecking(instance: SubgraphInstance): Promise<void> {
    const { signal } = this.#stopChecks;
    while (!signal.aborted) {
      try {
        await sleep(this.#policy.health.intervalMs, undefined, { signal, ref: false });
      } catch {
        return;
      }
      await this.#check(instance);
    }
  }

  async #check(instance: SubgraphInstance): Promise<void> {
    const passed = await this.#probe(instance);
    if (this.#stopChecks.signal.aborted) return;
    const { healthyThreshold, unhealthyThreshold } = this.#policy.health;
    instance.lastCheckPassed = passed;
    // checkStreak counts consecutive results that disagree with the current state.
    if (passed === instance.healthy) {
      instance.checkStreak = 0;
      return;
    }
    instance.checkStreak++;
    if (instance.checkStreak < (passed ? healthyThreshold : unhealthyThreshold)) return;
    instance.healthy = passed;
    instance.checkStreak = 0;
    if (passed) instance.consecutiveFailures = 0;
    const log = passed ? this.#logger.info.bind(this.#logger) : this.#logger.warn.bind(this.#logger);
    log(
      { subgraph: this.subgraph, instance: instance.url.origin, healthy: passed },
      `instance of ${this.subgraph} is ${passed ? 'healthy again' : 'unhealthy'}`,
    );
  }

  async #probe(instance: SubgraphInstance): Promise<boolean> {
    try {
      const response = await request(new URL('/health', instance.url.origin), {
        dispatcher: this.#healthAgent,
        signal: AbortSignal.any([AbortSignal.timeout(this.#policy.health.timeoutMs), this.#stopChecks.signal]),
      });
      await response.body.dump();
      return response.statusCode === 200;
    } catch {
      return false;
    }
  }
}
