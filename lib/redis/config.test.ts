import { describe, expect, it } from 'vitest';
import { redisConfigFromEnv } from './config.ts';

describe('redisConfigFromEnv', () => {
  it('uses this process memory without REDIS_URL or REDIS_CLUSTER_NODES', () => {
    expect(redisConfigFromEnv({})).toEqual({ kind: 'memory', keyPrefix: 'bff:' });
  });

  it('reads one Redis, its key prefix and command timeout', () => {
    expect(
      redisConfigFromEnv({
        REDIS_URL: 'redis://127.0.0.1:6379',
        REDIS_KEY_PREFIX: 'staging:',
        REDIS_COMMAND_TIMEOUT_MS: '250',
      }),
    ).toEqual({
      kind: 'single',
      url: 'redis://127.0.0.1:6379',
      keyPrefix: 'staging:',
      commandTimeoutMs: 250,
    });
  });

  it('prefers a cluster when its nodes are given', () => {
    const config = redisConfigFromEnv({
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b:7001',
    });
    expect(config).toMatchObject({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'redis-b', port: 7001 },
      ],
    });
  });

  it.each([
    [{ REDIS_CLUSTER_NODES: 'redis-a' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL'],
    [{ REDIS_KEY_PREFIX: 'a{b}:' }, 'REDIS_KEY_PREFIX'],
    [{ REDIS_COMMAND_TIMEOUT_MS: '0' }, 'REDIS_COMMAND_TIMEOUT_MS'],
  ])('fails fast naming the variable: %o', (env, variable) => {
    expect(() => redisConfigFromEnv(env)).toThrow(variable);
  });
});
