import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../observability/index.ts';
import { SubgraphCallRejected } from './errors.ts';
import { resolvePolicy } from './policy.ts';
import { SubgraphInstances } from './subgraphInstances.ts';

const servers: Server[] = [];
const sets: SubgraphInstances[] = [];

afterEach(async () => {
  await Promise.all(sets.splice(0).map((s) => s.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A server whose /health answers as `state.healthy` says. */
async function instance(state = { healthy: true }): Promise<{ url: string; state: { healthy: boolean } }> {
  const server = createServer((_req, res) => res.writeHead(state.healthy ? 200 : 503).end());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, state };
}

function instances(urls: string[]): SubgraphInstances {
  const policy = resolvePolicy('users', {
    users: {
      health: { intervalMs: 30, timeoutMs: 200, unhealthyThreshold: 2, healthyThreshold: 1 },
      ejection: { consecutiveFailures: 2, durationMs: 200 },
    },
  });
  const created = new SubgraphInstances('users', urls, policy, silentLogger());
  sets.push(created);
  return created;
}

const origins = (set: SubgraphInstances, count: number) => Array.from({ length: count }, () => set.pick().url.port);

describe('SubgraphInstances', () => {
  it('picks round robin, and a retry prefers an instance not tried yet', async () => {
    const [a, b, c] = await Promise.all([instance(), instance(), instance()]);
    const set = instances([a.url, b.url, c.url]);
    const ports = set.instances.map((i) => i.url.port);
    expect(origins(set, 6)).toEqual([...ports, ...ports]);
    const first = set.pick();
    const second = set.pick(new Set([first]));
    expect(second).not.toBe(first);
  });

  it('takes an instance out after failed health checks and back when they pass again', async () => {
    const [a, b] = await Promise.all([instance(), instance()]);
    const set = instances([a.url, b.url]);
    await set.checkedOnce();
    expect(set.healthyCount).toBe(2);
    a.state.healthy = false;
    await sleep(200);
    expect(set.instances[0]!.healthy).toBe(false);
    expect(new Set(origins(set, 4))).toEqual(new Set([set.instances[1]!.url.port]));
    a.state.healthy = true;
    await sleep(200);
    expect(set.healthyCount).toBe(2);
    expect(new Set(origins(set, 4)).size).toBe(2);
  });

  it('ejects an instance after failed requests for a while, but never the last one available', async () => {
    const [a, b] = await Promise.all([instance(), instance()]);
    const set = instances([a.url, b.url]);
    const [first, second] = set.instances;
    set.recordFailure(first!);
    set.recordFailure(first!);
    expect(first!.isEjected()).toBe(true);
    expect(new Set(origins(set, 4))).toEqual(new Set([second!.url.port]));
    // The other one fails too: ejecting it would leave nothing, so it stays.
    set.recordFailure(second!);
    set.recordFailure(second!);
    expect(second!.isEjected()).toBe(false);
    await sleep(250);
    expect(first!.isEjected()).toBe(false);
    expect(set.stats().map((s) => s.ejections)).toEqual([1, 0]);
  });

  it('refuses with NO_HEALTHY_INSTANCE when no instance passes its checks', async () => {
    const set = instances(['http://127.0.0.1:1/graphql']);
    await set.checkedOnce();
    // One failed check is not enough to leave rotation (unhealthyThreshold 2), though readiness already counts it out.
    expect(set.hasHealthy()).toBe(true);
    expect(set.confirmedHealthyCount).toBe(0);
    await sleep(150);
    expect(set.hasHealthy()).toBe(false);
    expect(() => set.pick()).toThrow(SubgraphCallRejected);
  });
});
