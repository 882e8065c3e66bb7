import { describe, expect, it } from 'vitest';
import { Bulkhead } from './bulkhead.ts';
import { SubgraphCallRejected } from './errors.ts';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

function reasonOf(error: unknown): string | undefined {
  return error instanceof SubgraphCallRejected ? error.reason : undefined;
}

describe('Bulkhead', () => {
  it('runs up to the cap at once, queues up to the queue size, and refuses the rest at once', async () => {
    const bulkhead = new Bulkhead(2, 1);
    const release = gate();
    const started: number[] = [];
    const calls = [0, 1, 2, 3, 4].map((i) =>
      bulkhead.run(async () => {
        started.push(i);
        await release.opened;
        return i;
      }),
    );
    const settled = Promise.allSettled(calls);
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(bulkhead.stats).toEqual({ active: 2, queued: 1, rejected: 2 });
    release.open();
    const outcomes = await settled;
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : reasonOf(o.reason)))).toEqual([
      0,
      1,
      2,
      'BULKHEAD_FULL',
      'BULKHEAD_FULL',
    ]);
    expect(started).toEqual([0, 1, 2]);
    expect(bulkhead.stats).toEqual({ active: 0, queued: 0, rejected: 2 });
  });

  it('gives a queued call up when its deadline passes, and frees its place', async () => {
    const bulkhead = new Bulkhead(1, 1);
    const release = gate();
    const running = bulkhead.run(() => release.opened);
    const queued = bulkhead.run(() => Promise.resolve('late'), Date.now() + 20);
    await expect(queued).rejects.toSatisfy((error) => reasonOf(error) === 'QUEUE_TIMEOUT');
    expect(bulkhead.stats).toEqual({ active: 1, queued: 0, rejected: 1 });
    release.open();
    await running;
    expect(await bulkhead.run(() => Promise.resolve('next'))).toBe('next');
  });

  it('releases the slot when the task throws', async () => {
    const bulkhead = new Bulkhead(1, 0);
    await expect(bulkhead.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await bulkhead.run(() => Promise.resolve('ok'))).toBe('ok');
    expect(bulkhead.stats.active).toBe(0);
  });
});
