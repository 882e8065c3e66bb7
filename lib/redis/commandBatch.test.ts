// Commands asked for in one turn leave in one write to a real Redis, each with its own reply or error.
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { deleteKeys, TEST_REDIS_URL, uniqueKeyPrefix } from '../../test/support/redis.ts';
import { CommandBatch, commandBatchOf } from './commandBatch.ts';

const PREFIX = uniqueKeyPrefix('command-batch');
const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });

afterAll(async () => {
  await deleteKeys(redis, PREFIX);
  redis.disconnect();
});

/** Counts the writes ioredis makes to its socket while `run` runs. */
async function writesDuring<T>(run: () => Promise<T>): Promise<{ result: T; writes: number }> {
  await redis.ping(); // connected, so the stream exists
  const write = vi.spyOn(redis.stream, 'write');
  try {
    const result = await run();
    return { result, writes: write.mock.calls.length };
  } finally {
    write.mockRestore();
  }
}

describe('CommandBatch', () => {
  it('sends the commands of one turn in one write, each answered in order', async () => {
    await redis.set(`${PREFIX}a`, 'one');
    await redis.set(`${PREFIX}b`, 'two');
    const batch = new CommandBatch(redis);
    const { result, writes } = await writesDuring(() =>
      Promise.all([
        batch.callBuffer('GET', `${PREFIX}a`),
        batch.callBuffer('GET', `${PREFIX}missing`),
        batch.callBuffer('INCRBY', `${PREFIX}n`, 5),
        batch.callBuffer('GET', `${PREFIX}b`),
      ]),
    );
    expect(writes).toBe(1);
    expect(result).toEqual([Buffer.from('one'), null, 5, Buffer.from('two')]);
  });

  it('keeps one command failing to itself', async () => {
    await redis.set(`${PREFIX}text`, 'not a number');
    const batch = new CommandBatch(redis);
    const [failed, fine] = await Promise.allSettled([
      batch.callBuffer('INCR', `${PREFIX}text`),
      batch.callBuffer('GET', `${PREFIX}text`),
    ]);
    expect(failed.status === 'rejected' && String(failed.reason)).toMatch(/not an integer/);
    expect(fine).toEqual({ status: 'fulfilled', value: Buffer.from('not a number') });
  });

  it('sends a lone command as it is, and commands of later turns in later writes', async () => {
    const batch = new CommandBatch(redis);
    const { result, writes } = await writesDuring(async () => {
      const first = await batch.callBuffer('SET', `${PREFIX}c`, 'x');
      const second = await batch.callBuffer('GET', `${PREFIX}c`);
      return [first, second];
    });
    expect(writes).toBe(2);
    expect(result).toEqual([Buffer.from('OK'), Buffer.from('x')]);
  });

  it('rejects every queued command when Redis cannot take them', async () => {
    const gone = new Redis(TEST_REDIS_URL, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    gone.on('error', () => {}); // the refusal is what is tested
    const batch = new CommandBatch(gone);
    const settled = await Promise.allSettled([batch.callBuffer('PING'), batch.callBuffer('PING')]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    gone.disconnect();
  });

  it('has one batch per client', () => {
    expect(commandBatchOf(redis)).toBe(commandBatchOf(redis));
    expect(commandBatchOf(new Redis({ lazyConnect: true }))).not.toBe(commandBatchOf(redis));
  });
});
