// The budget store's invariants, on random sequences of spends (fast-check) against the in-memory
// store and a real Redis: a negative or fractional spend is refused (by the script itself too),
// `used` never decreases within a window, and what remains is never below 0 nor above the limit.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryBudgetStore, redisBudgetStore, SPEND_SCRIPT, type BudgetStore } from './budgetStore.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `test-budget-${randomUUID().slice(0, 8)}:`;
const redis = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 });

afterAll(async () => {
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

/** A spend as a careless or hostile caller could ask: negative, zero, fractional, or larger than the limit. */
const points = fc.oneof(
  fc.integer({ min: 0, max: 30 }),
  fc.integer({ min: -2_000_000, max: -1 }),
  fc.constantFrom(0.5, Number.NaN, 1e20),
);
const steps = fc.array(fc.tuple(fc.constantFrom('a', 'b'), points), { minLength: 1, maxLength: 40 });

async function checkInvariants(
  store: BudgetStore,
  keyOf: (k: string) => string,
  limit: number,
  sequence: Array<[string, number]>,
) {
  const used = new Map<string, number>();
  for (const [key, spend] of sequence) {
    const request = [{ key: keyOf(key), points: spend, limit, windowMs: 60_000 }];
    if (!Number.isSafeInteger(spend) || spend < 0) {
      await expect(store.spend(request)).rejects.toThrow(RangeError);
      continue;
    }
    const outcome = await store.spend(request);
    const state = outcome.states[0]!;
    const before = used.get(key) ?? 0;
    // Never decreasing, never past the limit: so limit - used (remaining) stays within 0..limit.
    expect(state.used).toBeGreaterThanOrEqual(before);
    expect(state.used).toBeLessThanOrEqual(limit);
    expect(limit - state.used).toBeLessThanOrEqual(limit);
    expect(outcome.refused === null).toBe(before + spend <= limit);
    expect(state.used).toBe(outcome.refused === null ? before + spend : before);
    used.set(key, state.used);
  }
}

describe('budget store invariants (property)', () => {
  it('in memory', async () => {
    await fc.assert(
      fc.asyncProperty(steps, fc.integer({ min: 1, max: 100 }), async (sequence, limit) => {
        await checkInvariants(memoryBudgetStore(), (k) => k, limit, sequence);
      }),
      { numRuns: 150 },
    );
  });

  it('on Redis, through the Lua script', async () => {
    const store = redisBudgetStore(redis);
    await fc.assert(
      fc.asyncProperty(steps, fc.integer({ min: 1, max: 100 }), async (sequence, limit) => {
        const run = randomUUID();
        await checkInvariants(store, (k) => `${PREFIX}{${run}}:${k}`, limit, sequence);
      }),
      { numRuns: 60 },
    );
  });

  it('the script itself refuses a negative, fractional or limitless spend and writes nothing', async () => {
    const key = `${PREFIX}{raw}:k`;
    for (const args of [
      [-5, 10, 60_000],
      [0.5, 10, 60_000],
      [1, 0, 60_000],
      [1, 10, 0],
    ]) {
      await expect(redis.eval(SPEND_SCRIPT, 1, key, ...args)).rejects.toThrow(/budget spend needs/);
    }
    expect(await redis.exists(key)).toBe(0);
    // A counter driven below zero by anything else still never gives more than the limit.
    await redis.set(key, '-1000000', 'PX', 60_000);
    const reply = (await redis.eval(SPEND_SCRIPT, 1, key, 0, 10, 60_000)) as number[];
    expect(reply[1]).toBe(0);
  });
});
