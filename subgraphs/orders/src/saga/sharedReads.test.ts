import { describe, expect, it } from 'vitest';
import { sharedReads } from './sharedReads.ts';

/** A read that answers when told to, recording the ids of each call. */
function controlledRead() {
  const calls: Array<{ ids: string[]; answer: () => void; fail: (error: Error) => void }> = [];
  const read = (ids: string[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({ ids, answer: () => resolve(ids.map((id) => `value of ${id}`)), fail: reject });
    });
  return { calls, read };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('sharedReads', () => {
  it('sends the callers of one turn as one read of their distinct ids, each answered in its own order', async () => {
    const { calls, read } = controlledRead();
    const shared = sharedReads(read, { maxInFlight: 1, maxIds: 100 });
    const a = shared(['p1', 'p2']);
    const b = shared(['p2']);
    const c = shared(['p3', 'p1']);
    await settle();
    expect(calls.map((call) => call.ids)).toEqual([['p1', 'p2', 'p3']]);
    calls[0]!.answer();
    expect(await Promise.all([a, b, c])).toEqual([
      ['value of p1', 'value of p2'],
      ['value of p2'],
      ['value of p3', 'value of p1'],
    ]);
  });

  it('holds callers that come while the reads in flight are at the limit, then sends them together', async () => {
    const { calls, read } = controlledRead();
    const shared = sharedReads(read, { maxInFlight: 1, maxIds: 100 });
    const first = shared(['p1']);
    await settle();
    const later = [shared(['p1']), shared(['p1']), shared(['p2'])];
    await settle();
    // Nobody joins a read already sent: its answer may predate them.
    expect(calls).toHaveLength(1);
    calls[0]!.answer();
    await first;
    await settle();
    expect(calls.map((call) => call.ids)).toEqual([['p1'], ['p1', 'p2']]);
    calls[1]!.answer();
    expect(await Promise.all(later)).toEqual([['value of p1'], ['value of p1'], ['value of p2']]);
  });

  it('fails every caller a failed read served, and the next callers get a read of their own', async () => {
    const { calls, read } = controlledRead();
    const shared = sharedReads(read, { maxInFlight: 2, maxIds: 100 });
    const served = [shared(['p1']), shared(['p2'])];
    await settle();
    calls[0]!.fail(new Error('inventory is down'));
    for (const result of served) await expect(result).rejects.toThrow('inventory is down');
    const next = shared(['p1']);
    await settle();
    expect(calls).toHaveLength(2);
    calls[1]!.answer();
    expect(await next).toEqual(['value of p1']);
  });

  it('splits waiting callers past maxIds into several reads, a caller asking more than maxIds alone', async () => {
    const { calls, read } = controlledRead();
    const shared = sharedReads(read, { maxInFlight: 3, maxIds: 2 });
    void shared(['a', 'b']);
    void shared(['c']);
    void shared(['d', 'e', 'f']);
    await settle();
    expect(calls.map((call) => call.ids)).toEqual([['a', 'b'], ['c'], ['d', 'e', 'f']]);
    for (const call of calls) call.answer();
  });

  it('answers an empty request without reading', async () => {
    const { calls, read } = controlledRead();
    const shared = sharedReads(read, { maxInFlight: 1, maxIds: 10 });
    expect(await shared([])).toEqual([]);
    expect(calls).toHaveLength(0);
  });
});
