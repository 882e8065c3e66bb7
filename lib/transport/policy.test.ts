import { describe, expect, it } from 'vitest';
import { DEFAULT_SUBGRAPH_POLICY, resolvePolicy, subgraphPoliciesFromEnv } from './policy.ts';

describe('subgraph policies', () => {
  it('have defaults for every knob', () => {
    expect(DEFAULT_SUBGRAPH_POLICY).toEqual({
      timeoutMs: 1500,
      budgetMs: 3000,
      retry: { maxAttempts: 3, baseDelayMs: 25, maxDelayMs: 250 },
      breaker: { errorThresholdPercentage: 50, volumeThreshold: 5, rollingWindowMs: 10_000, resetTimeoutMs: 5000 },
      bulkhead: { maxConcurrent: 64, maxQueue: 16 },
      pool: { keepAliveTimeoutMs: 30_000 },
      health: { intervalMs: 5000, timeoutMs: 1000, unhealthyThreshold: 2, healthyThreshold: 1 },
      ejection: { consecutiveFailures: 3, durationMs: 10_000 },
    });
  });

  it('layer defaults, the override for all subgraphs and the subgraph own one, key by key', () => {
    const env = {
      SUBGRAPH_POLICY: '{"timeoutMs": 800, "retry": {"maxAttempts": 2}, "bulkhead": {"maxQueue": 4}}',
      ORDERS_POLICY: '{"retry": {"baseDelayMs": 5}, "bulkhead": {"maxConcurrent": 8}}',
      ORDERS_TIMEOUT_MS: '1500',
    };
    const overrides = subgraphPoliciesFromEnv(env);
    const orders = resolvePolicy('orders', overrides);
    expect(orders.timeoutMs).toBe(1500);
    expect(orders.retry).toEqual({ maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 250 });
    expect(orders.bulkhead).toEqual({ maxConcurrent: 8, maxQueue: 4 });
    const users = resolvePolicy('users', overrides);
    expect(users.timeoutMs).toBe(800);
    expect(users.bulkhead).toEqual({ maxConcurrent: 64, maxQueue: 4 });
  });

  it('refuse a wrong value naming the variable and the key', () => {
    expect(() => subgraphPoliciesFromEnv({ USERS_POLICY: '{"timeoutMs": -1}' })).toThrow(/USERS_POLICY: timeoutMs/);
    expect(() => subgraphPoliciesFromEnv({ SUBGRAPH_POLICY: '{"retry": {"attempts": 3}}' })).toThrow(
      /SUBGRAPH_POLICY: retry/,
    );
    expect(() => subgraphPoliciesFromEnv({ SUBGRAPH_POLICY: '{oops' })).toThrow('SUBGRAPH_POLICY is not valid JSON');
    expect(() => subgraphPoliciesFromEnv({ REVIEWS_TIMEOUT_MS: 'soon' })).toThrow(
      'REVIEWS_TIMEOUT_MS must be a positive integer',
    );
  });
});
