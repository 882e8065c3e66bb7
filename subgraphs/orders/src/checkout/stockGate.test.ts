import { describe, expect, it } from 'vitest';
import { StockGate } from './stockGate.ts';

const line = (productId: string, quantity = 1) => ({ productId, quantity });

describe('StockGate', () => {
  it('lets through as many units as the levels show, then has the next checkouts wait', () => {
    const gate = new StockGate();
    const turns = [1, 2, 3].map(() => gate.enter([line('p')], [2]));
    expect(turns.map((t) => (typeof t === 'function' ? 'turn' : t))).toEqual(['turn', 'turn', 'wait']);
    expect(gate.pendingOf('p')).toBe(2);
  });

  it('answers short when the levels alone cannot cover a line, whatever is pending', () => {
    const gate = new StockGate();
    expect(gate.enter([line('p', 3)], [2])).toBe('short');
    expect(gate.enter([line('p'), line('q')], [1, 0])).toBe('short');
    expect(gate.pendingOf('p')).toBe(0);
  });

  it('counts every line of a cart and gives the units back once, waking the waiting', async () => {
    const gate = new StockGate();
    const turn = gate.enter([line('p', 2), line('q')], [2, 5]);
    if (typeof turn !== 'function') throw new Error('expected a turn');
    expect(gate.enter([line('p')], [2])).toBe('wait');
    const woken = gate.nextRelease(10_000);
    turn();
    turn();
    expect(await woken).toBe(true);
    expect([gate.pendingOf('p'), gate.pendingOf('q')]).toEqual([0, 0]);
  });

  it('counts releases, each turn once: levels read across one are read again before a turn', () => {
    const gate = new StockGate();
    const first = gate.enter([line('p')], [2]);
    const second = gate.enter([line('p')], [2]);
    if (typeof first !== 'function' || typeof second !== 'function') throw new Error('expected turns');
    expect(gate.releases).toBe(0);
    first();
    first();
    expect(gate.releases).toBe(1);
    second();
    expect(gate.releases).toBe(2);
  });

  it('stops waiting after the time given', async () => {
    const gate = new StockGate();
    expect(await gate.nextRelease(5)).toBe(false);
  });
});
