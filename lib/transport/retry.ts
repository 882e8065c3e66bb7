import { setTimeout as sleep } from 'node:timers/promises';

export interface BackoffPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * "Full jitter" (AWS Architecture Blog, Exponential Backoff and Jitter): a uniform delay between 0
 * and the exponential ceiling, which spreads the retries of many callers best.
 */
export function fullJitterDelay(
  retryNumber: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retryNumber - 1));
  return Math.floor(random() * ceiling);
}

export interface RetryOptions {
  policy: BackoffPolicy;
  /** No attempt starts after this instant (ms since epoch). */
  deadline: number;
  shouldRetry(error: unknown): boolean;
  random?: () => number;
}

/**
 * Runs `attempt` until it succeeds, the error is not retryable, attempts run out or the next try
 * could not start before the deadline; then the last error is thrown.
 *
 * Hand-written rather than p-retry 7: p-retry's `randomize` multiplies the delay by 1..2 instead of
 * drawing it from 0..ceiling (full jitter), and it knows no deadline shared with the rest of the
 * request; the loop is a dozen lines.
 */
export async function retryWithBackoff<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt(attemptNumber);
    } catch (error) {
      if (attemptNumber >= options.policy.maxAttempts || !options.shouldRetry(error)) throw error;
      const delay = fullJitterDelay(attemptNumber, options.policy, options.random);
      if (Date.now() + delay >= options.deadline) throw error;
      await sleep(delay);
    }
  }
}
