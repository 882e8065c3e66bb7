import { describe, expect, it } from 'vitest';
import { fullJitterDelay, retryWithBackoff } from './retry.ts';

const policy = { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 50 };

describe('fullJitterDelay', () => {
  it('draws from 0 up to an exponential ceiling, capped', () => {
    expect([1, 2, 3, 4, 5].map((n) => fullJitterDelay(n, policy, () => 0))).toEqual([0, 0, 0, 0, 0]);
    expect([1, 2, 3, 4, 5].map((n) => fullJitterDelay(n, policy, () => 0.9999))).toEqual([9, 19, 39, 49, 49]);
    expect(fullJitterDelay(2, policy, () => 0.5)).toBe(10);
  });
});

describe('retryWithBackoff', () => {
  it('retries a retryable failure until it succeeds', async () => {
    let calls = 0;
    const result = await retryWithBackoff(
      (attempt) => {
        calls++;
        return attempt < 3 ? Promise.reject(new Error('transient')) : Promise.resolve('ok');
      },
      { policy, deadline: Date.now() + 5000, shouldRetry: () => true },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('stops at maxAttempts, on an error it must not retry, and before the deadline', async () => {
    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(new Error(`failure ${calls}`));
    };
    await expect(
      retryWithBackoff(failing, { policy, deadline: Date.now() + 5000, shouldRetry: () => true }),
    ).rejects.toThrow('failure 4');
    calls = 0;
    await expect(
      retryWithBackoff(failing, { policy, deadline: Date.now() + 5000, shouldRetry: () => false }),
    ).rejects.toThrow('failure 1');
    calls = 0;
    // Every delay would end past the deadline: one attempt only.
    await expect(
      retryWithBackoff(failing, { policy, deadline: Date.now() + 1, shouldRetry: () => true, random: () => 0.99 }),
    ).rejects.toThrow('failure 1');
  });
});
