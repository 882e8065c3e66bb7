import { SubgraphCallRejected } from './errors.ts';

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
}

export interface BulkheadStats {
  active: number;
  queued: number;
  /** Calls refused because the queue was full or their budget ran out while queued. */
  rejected: number;
}

/**
 * A cap on concurrent calls with a small FIFO queue; a call past the queue fails at once, and a
 * queued call gives up when its deadline passes, so nothing waits without bound.
 *
 * Hand-written (40 lines) because the libraries at hand either queue without a limit (p-limit,
 * p-queue) or bring a second resilience framework next to opossum (cockatiel).
 */
export class Bulkhead {
  #active = 0;
  #rejected = 0;
  readonly #queue: Waiter[] = [];

  constructor(
    readonly maxConcurrent: number,
    readonly maxQueue: number,
  ) {}

  get stats(): BulkheadStats {
    return { active: this.#active, queued: this.#queue.length, rejected: this.#rejected };
  }

  async run<T>(task: () => Promise<T>, deadline = Number.POSITIVE_INFINITY): Promise<T> {
    await this.#acquire(deadline);
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #acquire(deadline: number): Promise<void> {
    if (this.#active < this.maxConcurrent) {
      this.#active++;
      return Promise.resolve();
    }
    if (this.#queue.length >= this.maxQueue) {
      this.#rejected++;
      return Promise.reject(new SubgraphCallRejected('BULKHEAD_FULL'));
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined };
      const wait = deadline - Date.now();
      if (Number.isFinite(wait)) {
        waiter.timer = setTimeout(
          () => {
            const index = this.#queue.indexOf(waiter);
            if (index >= 0) this.#queue.splice(index, 1);
            this.#rejected++;
            reject(new SubgraphCallRejected('QUEUE_TIMEOUT'));
          },
          Math.max(0, wait),
        );
      }
      this.#queue.push(waiter);
    });
  }

  #release(): void {
    const next = this.#queue.shift();
    if (!next) {
      this.#active--;
      return;
    }
    // The slot passes straight to the next caller: `#active` stays as it is.
    clearTimeout(next.timer);
    next.resolve();
  }
}
