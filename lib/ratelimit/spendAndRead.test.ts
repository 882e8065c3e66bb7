// The fast path's script on a real Redis: it spends only when an entry is there (and every required
// key), exactly as the rate limiter's own script would, and reads the entries in the order asked.
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteKeys, TEST_REDIS_URL, uniqueKeyPrefix } from '../../test/support/redis.ts';
import { SAME_AS_HELD, spendAndRead } from './spendAndRead.ts';

const PREFIX = uniqueKeyPrefix('spend-read');
const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });

afterAll(async () => {
  await deleteKeys(redis, PREFIX);
  redis.disconnect();
});

const budget = (points: number, limit = 10) => ({ key: `${PREFIX}budget`, points, limit, windowMs: 60_000 });

describe('spendAndRead', () => {
  it('spends nothing when no entry, or a required key, is missing', async () => {
    const entries = [{ key: `${PREFIX}private` }, { key: `${PREFIX}public` }];
    expect(await spendAndRead(redis, [budget(3)], [], entries)).toEqual({ found: false, reason: 'no-entry' });
    await redis.set(`${PREFIX}public`, 'cached');
    expect(await spendAndRead(redis, [budget(3)], [`${PREFIX}apq`], entries)).toEqual({
      found: false,
      reason: 'required-missing',
    });
    expect(await redis.get(`${PREFIX}budget`)).toBeNull();
  });

  it('spends and reads in one step, refusing (and spending nothing) past the limit', async () => {
    await redis.set(`${PREFIX}apq`, 'query');
    const entries = [{ key: `${PREFIX}private` }, { key: `${PREFIX}public` }];
    const first = await spendAndRead(redis, [budget(4)], [`${PREFIX}apq`], entries);
    expect(first).toMatchObject({ found: true, values: [null, Buffer.from('cached')], outcome: { refused: null } });
    expect(first.found && first.outcome?.states[0]?.used).toBe(4);
    await spendAndRead(redis, [budget(4)], [], entries);
    const third = await spendAndRead(redis, [budget(4)], [], entries);
    expect(third).toMatchObject({ found: true, outcome: { refused: 0, states: [{ used: 8 }] } });
    expect(await redis.get(`${PREFIX}budget`)).toBe('8');
    // Without budgets (rate limits off) it only reads.
    expect(await spendAndRead(redis, [], [], entries)).toEqual({
      found: true,
      outcome: null,
      values: [null, Buffer.from('cached')],
    });
  });

  it("sends an entry again only when it differs from the caller's copy (its last bytes compared)", async () => {
    const key = `${PREFIX}held`;
    const stored = '{"data":{"a":1},"stamp":"first-write-stamp"}';
    await redis.set(key, stored);
    const tail = (value: string) => Buffer.from(value.slice(-20));
    const read = (heldTail: Buffer | null) => spendAndRead(redis, [budget(1)], [], [{ key, heldTail }]);
    expect(await read(tail(stored))).toMatchObject({ found: true, values: [SAME_AS_HELD] });
    // No copy held, or a copy of an older write: the stored bytes.
    expect(await read(null)).toMatchObject({ found: true, values: [Buffer.from(stored)] });
    expect(await read(tail('{"data":{"a":0},"stamp":"older-write-stamp"}'))).toMatchObject({
      values: [Buffer.from(stored)],
    });
    // A copy longer than what is stored now is not the same either.
    expect(await read(Buffer.from(`xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx${stored}`))).toMatchObject({
      values: [Buffer.from(stored)],
    });
    // Gone (invalidated, expired): nothing found and nothing spent, whatever copy is held.
    await redis.del(key);
    const before = await redis.get(`${PREFIX}budget`);
    expect(await read(tail(stored))).toEqual({ found: false, reason: 'no-entry' });
    expect(await redis.get(`${PREFIX}budget`)).toBe(before);
  });

  it('refuses a negative spend like the limiter does', async () => {
    await expect(
      spendAndRead(
        redis,
        [{ key: `${PREFIX}other`, points: -1, limit: 10, windowMs: 1000 }],
        [],
        [{ key: `${PREFIX}public` }],
      ),
    ).rejects.toThrow(/points >= 0/);
  });
});
