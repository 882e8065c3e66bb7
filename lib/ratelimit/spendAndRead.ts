import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { commandBatchOf } from '../redis/commandBatch.ts';
import { outcomeOf, SPEND_FUNCTION, type Spend, type SpendOutcome } from './budgetStore.ts';

/**
 * The response cache's fast path in one round trip: checks that `required` keys exist (a persisted
 * query still registered), reads the entries, and only when one is there spends the budgets exactly
 * as the rate limiter's own script does (the same Lua function, atomically with every other
 * admission). Nothing is spent when a required key or every entry is missing: the request then
 * takes the ordinary path, which decides its budget itself.
 * An entry the caller already holds a copy of is not sent again: the caller passes the copy's last
 * bytes (a response entry ends with its write's random stamp), the script compares them with the
 * stored value's (GETRANGE, no copy of the value) and answers 1 when they are the same.
 * KEYS: the n budgets, the required keys, the entries. ARGV: n, the number of required keys,
 * points/limit/window per budget, then per entry the held copy's last bytes ('' for none). Reply:
 * {-2} (a required key is missing), {-1} (no entry), or the spend's reply (refused, then used/ttl
 * per budget) followed by each entry (its bytes, 1 when the same as the held copy, nil when missing).
 */
export const SPEND_AND_READ_SCRIPT = `${SPEND_FUNCTION}
local n = tonumber(ARGV[1])
local required = tonumber(ARGV[2])
for j = n + 1, n + required do
  if redis.call('EXISTS', KEYS[j]) == 0 then return { -2 } end
end
local entries, found = {}, false
-- ARGV[tails + j]: the held copy's last bytes for the entry KEYS[j]
local tails = 2 + 3 * n - n - required
for j = n + required + 1, #KEYS do
  local known, v = ARGV[tails + j], false
  if known ~= '' then
    local tail = redis.call('GETRANGE', KEYS[j], -#known, -1)
    if tail == known then v = 1 elseif tail ~= '' then v = redis.call('GET', KEYS[j]) end
  else
    v = redis.call('GET', KEYS[j])
  end
  entries[#entries + 1] = v
  if v then found = true end
end
if not found then return { -1 } end
local reply = { 0 }
if n > 0 then
  local budgets, args = {}, {}
  for i = 1, n do budgets[i] = KEYS[i] end
  for i = 3, 2 + 3 * n do args[i - 2] = ARGV[i] end
  reply = spend(budgets, args, n)
end
for j = 1, #entries do reply[#reply + 1] = entries[j] end
return reply
`;

const SHA = createHash('sha1').update(SPEND_AND_READ_SCRIPT).digest('hex');

/** An entry the script reports unchanged: the caller's held copy is still what is stored. */
export const SAME_AS_HELD = 'same-as-held';

export type SpendAndRead =
  | { found: false; reason: 'required-missing' | 'no-entry' }
  /**
   * `outcome` null when there were no budgets to spend (rate limits off); entries as bytes, never
   * decoded, `SAME_AS_HELD` where the held copy is still the stored one, null where missing.
   */
  | { found: true; outcome: SpendOutcome | null; values: Array<Buffer | typeof SAME_AS_HELD | null> };

/** An entry to read: its key and, when the caller holds a copy, that copy's last bytes (see the script). */
export interface EntryToRead {
  key: string;
  heldTail?: Buffer | null;
}

/**
 * Runs the script on one Redis node (its keys span slots: never on a Cluster). The entries come back
 * as bytes: a hit is written to the socket as it was stored, never decoded to a string and encoded again.
 * Scripts asked for in the same turn of the event loop (hits arriving together) share one write.
 */
export async function spendAndRead(
  client: Redis,
  spends: readonly Spend[],
  required: readonly string[],
  entries: readonly EntryToRead[],
): Promise<SpendAndRead> {
  const keys = [...spends.map((s) => s.key), ...required, ...entries.map((e) => e.key)];
  const args = [
    spends.length,
    required.length,
    ...spends.flatMap((s) => [s.points, s.limit, s.windowMs]),
    ...entries.map((e) => e.heldTail ?? ''),
  ];
  let reply: unknown;
  try {
    reply = await commandBatchOf(client).callBuffer('EVALSHA', SHA, keys.length, ...keys, ...args);
  } catch (error) {
    // A restarted or failed-over Redis has an empty script cache.
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    reply = await client.callBuffer('EVAL', SPEND_AND_READ_SCRIPT, keys.length, ...keys, ...args);
  }
  if (!Array.isArray(reply)) throw new Error('Unexpected reply from the fast-path script');
  if (reply[0] === -2) return { found: false, reason: 'required-missing' };
  if (reply[0] === -1) return { found: false, reason: 'no-entry' };
  const head = spends.length ? 1 + 2 * spends.length : 1;
  const values = reply.slice(head).map((v: unknown) => (Buffer.isBuffer(v) ? v : v === 1 ? SAME_AS_HELD : null));
  if (values.length !== entries.length) throw new Error('Unexpected reply from the fast-path script');
  return { found: true, outcome: spends.length ? outcomeOf(reply.slice(0, head), spends.length) : null, values };
}
