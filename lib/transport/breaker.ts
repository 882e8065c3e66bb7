import CircuitBreaker from 'opossum';
import type { Logger } from '../observability/index.ts';
import { SubgraphCallFailed, SubgraphCallRejected } from './errors.ts';
import type { SubgraphPolicy } from './policy.ts';

export type BreakerState = 'closed' | 'open' | 'halfOpen';

export interface BreakerStats {
  state: BreakerState;
  /** Transitions since start, metric-ready counters. */
  opened: number;
  halfOpened: number;
  closed: number;
  /** Calls refused while open. */
  rejected: number;
}

/**
 * One opossum breaker per subgraph (not per instance): instance failures are handled by discovery
 * (ejection, health checks), the breaker answers "is this service as a whole failing", which is
 * what makes failing fast safe. It wraps the whole retried call, so failures healed by a retry on
 * another instance do not count. Opossum's own timeout is off: attempts carry their own deadline.
 */
type Task = () => Promise<void>;

export class SubgraphBreaker {
  readonly #breaker: CircuitBreaker<[Task], void>;
  #stats: Omit<BreakerStats, 'state'> = { opened: 0, halfOpened: 0, closed: 0, rejected: 0 };

  constructor(
    readonly subgraph: string,
    policy: SubgraphPolicy['breaker'],
    logger: Logger,
  ) {
    this.#breaker = new CircuitBreaker<[Task], void>((task) => task(), {
      name: subgraph,
      timeout: false,
      errorThresholdPercentage: policy.errorThresholdPercentage,
      volumeThreshold: policy.volumeThreshold,
      rollingCountTimeout: policy.rollingWindowMs,
      resetTimeout: policy.resetTimeoutMs,
      enableSnapshots: false,
      rollingPercentilesEnabled: false,
      // Only failures to get an answer count: a 4xx or a bug in our code says nothing about the
      // service's health (opossum records a filtered error as a success).
      errorFilter: (error: unknown) => !(error instanceof SubgraphCallFailed || error instanceof SubgraphCallRejected),
    });
    this.#breaker.on('open', () => {
      this.#stats.opened++;
      logger.warn(
        { subgraph, breaker: 'open', resetTimeoutMs: policy.resetTimeoutMs },
        `circuit for ${subgraph} opened: failing fast`,
      );
    });
    this.#breaker.on('halfOpen', () => {
      this.#stats.halfOpened++;
      logger.info({ subgraph, breaker: 'halfOpen' }, `circuit for ${subgraph} half-open: next call probes`);
    });
    this.#breaker.on('close', () => {
      this.#stats.closed++;
      logger.info({ subgraph, breaker: 'closed' }, `circuit for ${subgraph} closed`);
    });
    this.#breaker.on('reject', () => {
      this.#stats.rejected++;
    });
  }

  get state(): BreakerState {
    if (this.#breaker.opened) return 'open';
    return this.#breaker.halfOpen ? 'halfOpen' : 'closed';
  }

  get stats(): BreakerStats {
    return { state: this.state, ...this.#stats };
  }

  /** Runs the task through the breaker; an open circuit rejects with CIRCUIT_OPEN without running it. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    // The result travels beside opossum rather than through it, which keeps one breaker per
    // subgraph whatever each call returns.
    let result: { value: T } | undefined;
    try {
      await this.#breaker.fire(async () => {
        result = { value: await task() };
      });
      return result!.value;
    } catch (error) {
      // Opossum's own refusals ("Breaker is open", or a second caller during the half-open probe).
      if (error instanceof Error && CircuitBreaker.isOurError(error)) throw new SubgraphCallRejected('CIRCUIT_OPEN');
      throw error;
    }
  }

  shutdown(): void {
    this.#breaker.shutdown();
  }
}
