import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/** One budget an admission spends from: `points` of `limit` per fixed window of `windowMs`. */
export interface Spend {
  key: string;
  points: number;
  limit: number;
  windowMs: number;
}

export interface BudgetState {
  /** Points spent in the current window, after the decision. */
  used: number;
  /** Until the window ends and the budget is whole again. */
  msLeft: number;
}

export interface SpendOutcome {
  /** Index of the first budget that could not take its points (then nothing was spent), or null. */
  refused: number | null;
  states: BudgetState[];
}

/**
 * Where budgets live. `spend` decides for all its budgets at once: either every budget can take its
 * points and all are spent, or none is (no partial spend), atomically with respect to every other
 * admission. A spend of 0 points only reads; a negative or fractional one is refused (RangeError, and
 * the Redis script refuses it too), so no caller can credit a budget: `used` only grows within a
 * window and the remaining points never exceed the limit.
 */
export interface BudgetStore {
  spend(spends: readonly Spend[]): Promise<SpendOutcome>;
}

/**
 * Check and spend in one script: Redis runs it without interleaving any other command, so
 * concurrent admissions from any number of gateways see each other's spends exactly. Every key of one
 * admission carries the same hash tag (the subject's), so on a Redis Cluster they share a slot and
 * the multi-key script never fails with CROSSSLOT. Fixed windows: a budget's key expires when its
 * window ends. A refused admission writes nothing.
 */
export const SPEND_FUNCTION = `
local function spend(KEYS, ARGV, n)
local used, ttl, fresh = {}, {}, {}
local refused = 0
for i = 1, n do
  local points, limit, window = tonumber(ARGV[3*i-2]), tonumber(ARGV[3*i-1]), tonumber(ARGV[3*i])
  -- A spend is a whole number of points, never negative (0 only reads): nothing can credit a budget.
  if points == nil or points < 0 or points % 1 ~= 0 or limit == nil or limit < 1 or window == nil or window < 1 then
    return redis.error_reply('ERR budget spend needs points >= 0, limit >= 1 and window >= 1')
  end
  local t = redis.call('PTTL', KEYS[i])
  if t < 0 then
    used[i], ttl[i], fresh[i] = 0, window, true
  else
    -- A count below 0 (written by anything but this script) would let remaining exceed the limit.
    used[i], ttl[i], fresh[i] = math.max(0, tonumber(redis.call('GET', KEYS[i]) or '0') or 0), t, false
  end
  if refused == 0 and points > 0 and used[i] + points > limit then refused = i end
end
if refused == 0 then
  for i = 1, n do
    local points = tonumber(ARGV[3*i-2])
    if points > 0 then
      if fresh[i] then
        redis.call('SET', KEYS[i], points, 'PX', ttl[i])
      else
        redis.call('INCRBY', KEYS[i], points)
      end
      used[i] = used[i] + points
    end
  end
end
local reply = { refused }
for i = 1, n do
  reply[2*i] = used[i]
  reply[2*i+1] = ttl[i]
end
return reply
end
`;

/** The spend above over every key of the call; `SPEND_FUNCTION` is shared with scripts that spend and read more. */
export const SPEND_SCRIPT = `${SPEND_FUNCTION}
return spend(KEYS, ARGV, #KEYS)
`;

/** The store's contract, checked before anything is sent: a negative, fractional or NaN spend is a bug. */
export function assertSpends(spends: readonly Spend[]): void {
  for (const s of spends) {
    if (!Number.isSafeInteger(s.points) || s.points < 0)
      throw new RangeError(`A budget spend must be a whole number of points >= 0, got ${s.points} for ${s.key}`);
    if (!Number.isSafeInteger(s.limit) || s.limit < 1 || !Number.isSafeInteger(s.windowMs) || s.windowMs < 1)
      throw new RangeError(`A budget needs a limit and a window of at least 1, got ${s.limit}/${s.windowMs} ms`);
  }
}

const SPEND_SHA = createHash('sha1').update(SPEND_SCRIPT).digest('hex');

export function outcomeOf(reply: unknown, count: number): SpendOutcome {
  if (!Array.isArray(reply) || reply.length !== 1 + 2 * count || !reply.every((v) => typeof v === 'number')) {
    throw new Error('Unexpected reply from the rate-limit script');
  }
  const values = reply;
  const refused = values[0]!;
  return {
    refused: refused === 0 ? null : refused - 1,
    states: Array.from({ length: count }, (_, i) => ({ used: values[1 + 2 * i]!, msLeft: values[2 + 2 * i]! })),
  };
}

/** Budgets in Redis (one node or a Cluster): one EVALSHA per admission, the script sent only when Redis lacks it. */
export function redisBudgetStore(client: Redis | Cluster): BudgetStore {
  return {
    async spend(spends) {
      assertSpends(spends);
      const keys = spends.map((s) => s.key);
      const args = spends.flatMap((s) => [s.points, s.limit, s.windowMs]);
      let reply: unknown;
      try {
        reply = await client.evalsha(SPEND_SHA, keys.length, ...keys, ...args);
      } catch (error) {
        // A restarted or failed-over Redis has an empty script cache.
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        reply = await client.eval(SPEND_SCRIPT, keys.length, ...keys, ...args);
      }
      return outcomeOf(reply, spends.length);
    },
  };
}

/**
 * Budgets in this process's memory: the store without Redis (single-process development) and the
 * insurance while Redis is unreachable. JavaScript runs one admission's check and spend without
 * interleaving, so it is as exact as the script, for this process alone.
 */
export function memoryBudgetStore(now: () => number = Date.now): BudgetStore {
  const windows = new Map<string, { used: number; endsAt: number }>();
  let nextSweep = 0;
  return {
    // eslint-disable-next-line @typescript-eslint/require-await -- BudgetStore is asynchronous (Redis); this in-memory one answers at once
    async spend(spends) {
      assertSpends(spends);
      const at = now();
      if (at >= nextSweep) {
        // Ended windows are dropped once a minute, so idle subjects do not accumulate.
        for (const [key, window] of windows) if (window.endsAt <= at) windows.delete(key);
        nextSweep = at + 60_000;
      }
      const current = spends.map((s) => {
        const window = windows.get(s.key);
        return window && window.endsAt > at ? window : { used: 0, endsAt: at + s.windowMs };
      });
      const refused = spends.findIndex((s, i) => s.points > 0 && current[i]!.used + s.points > s.limit);
      if (refused === -1) {
        spends.forEach((s, i) => {
          if (s.points === 0) return;
          const window = current[i]!;
          window.used += s.points;
          windows.set(s.key, window);
        });
      }
      return {
        refused: refused === -1 ? null : refused,
        states: current.map((w) => ({ used: w.used, msLeft: w.endsAt - at })),
      };
    },
  };
}
