import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../observability/index.ts';
import { SubgraphBreaker } from './breaker.ts';
import { SubgraphCallFailed, SubgraphCallRejected } from './errors.ts';

const policy = { errorThresholdPercentage: 50, volumeThreshold: 2, rollingWindowMs: 10_000, resetTimeoutMs: 100 };
const breakers: SubgraphBreaker[] = [];

function breaker(): SubgraphBreaker {
  const created = new SubgraphBreaker('reviews', policy, silentLogger());
  breakers.push(created);
  return created;
}

afterEach(() => {
  for (const b of breakers.splice(0)) b.shutdown();
});

const failing = (): Promise<string> => Promise.reject(new SubgraphCallFailed('UNREACHABLE', 'ECONNREFUSED'));

function reasonOf(error: unknown): string | undefined {
  return error instanceof SubgraphCallRejected ? error.reason : undefined;
}

describe('SubgraphBreaker', () => {
  it('opens after repeated failures, fails fast without running the call, probes once half-open, then closes', async () => {
    const circuit = breaker();
    await expect(circuit.run(failing)).rejects.toBeInstanceOf(SubgraphCallFailed);
    await expect(circuit.run(failing)).rejects.toBeInstanceOf(SubgraphCallFailed);
    expect(circuit.state).toBe('open');

    let ran = 0;
    const counted = () => {
      ran++;
      return Promise.resolve('answer');
    };
    await expect(circuit.run(counted)).rejects.toSatisfy((e) => reasonOf(e) === 'CIRCUIT_OPEN');
    expect(ran).toBe(0);

    await sleep(policy.resetTimeoutMs + 50);
    expect(circuit.state).toBe('halfOpen');
    // One probe at a time: a second caller during the probe fails fast.
    const probe = circuit.run(async () => {
      await sleep(20);
      return counted();
    });
    await expect(circuit.run(counted)).rejects.toSatisfy((e) => reasonOf(e) === 'CIRCUIT_OPEN');
    expect(await probe).toBe('answer');
    expect(circuit.stats).toEqual({ state: 'closed', opened: 1, halfOpened: 1, closed: 1, rejected: 2 });
    expect(await circuit.run(counted)).toBe('answer');
  });

  it('a failed probe opens it again', async () => {
    const circuit = breaker();
    await circuit.run(failing).catch(() => undefined);
    await circuit.run(failing).catch(() => undefined);
    await sleep(policy.resetTimeoutMs + 50);
    await expect(circuit.run(failing)).rejects.toBeInstanceOf(SubgraphCallFailed);
    expect(circuit.stats).toMatchObject({ state: 'open', opened: 2 });
  });

  it('does not count errors that are not failed calls (a 4xx answer, a bug of ours)', async () => {
    const circuit = breaker();
    for (let i = 0; i < 5; i++)
      await expect(circuit.run(async () => Promise.reject(new Error('400 from the subgraph')))).rejects.toThrow('400');
    expect(circuit.state).toBe('closed');
  });
});
