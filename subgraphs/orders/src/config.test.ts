import { describe, expect, it } from 'vitest';
import { DEFAULT_ORDERS_POOL_SIZE, ordersConfigFromEnv, ordersPoolSizeFromEnv } from './config.ts';

describe('orders configuration', () => {
  it('works on a laptop with nothing set', () => {
    const config = ordersConfigFromEnv({});
    expect(config.saga).toEqual({
      deadlineMs: 30_000,
      recoveryIntervalMs: 5_000,
      leaseMs: 15_000,
      retryBaseMs: 100,
      retryMaxMs: 2_000,
      maxConcurrentSagas: 64,
      faultKillAt: null,
    });
    expect(config.providers.inventory.urls).toEqual(['http://127.0.0.1:4103/graphql']);
    expect(config.providers.payments.urls).toEqual(['http://127.0.0.1:4105/graphql']);
    expect(config.providers.products.urls).toEqual(['http://127.0.0.1:4102/graphql']);
    expect(config.databasePoolSize).toBe(DEFAULT_ORDERS_POOL_SIZE);
  });

  it('reads the database pool size, on its own too (the pool opens before the rest is read)', () => {
    expect(ordersConfigFromEnv({ ORDERS_DATABASE_POOL_SIZE: '32' }).databasePoolSize).toBe(32);
    expect(ordersPoolSizeFromEnv({ ORDERS_DATABASE_POOL_SIZE: '32' })).toBe(32);
    expect(ordersPoolSizeFromEnv({})).toBe(DEFAULT_ORDERS_POOL_SIZE);
    for (const bad of ['0', 'lots', '2.5', '100000']) {
      expect(() => ordersPoolSizeFromEnv({ ORDERS_DATABASE_POOL_SIZE: bad })).toThrow(/ORDERS_DATABASE_POOL_SIZE/);
      expect(() => ordersConfigFromEnv({ ORDERS_DATABASE_POOL_SIZE: bad })).toThrow(/ORDERS_DATABASE_POOL_SIZE/);
    }
  });

  it('reads instances and policies as the gateways do', () => {
    const config = ordersConfigFromEnv({
      PAYMENTS_URLS: 'http://a:1,http://b:2/graphql',
      PAYMENTS_URL: 'http://ignored:3',
      INVENTORY_TIMEOUT_MS: '900',
    });
    expect(config.providers.payments.urls).toEqual(['http://a:1/graphql', 'http://b:2/graphql']);
    expect(config.providers.inventory.policy.timeoutMs).toBe(900);
  });

  it('reads the chaos knob only as a known saga boundary', () => {
    expect(ordersConfigFromEnv({ ORDERS_FAULT_KILL_AT: 'after:CHARGE_PAYMENT' }).saga.faultKillAt).toBe(
      'after:CHARGE_PAYMENT',
    );
    expect(() => ordersConfigFromEnv({ ORDERS_FAULT_KILL_AT: 'after:LUNCH' })).toThrow(/ORDERS_FAULT_KILL_AT/);
  });

  it('fails fast naming the variable', () => {
    expect(() => ordersConfigFromEnv({ CHECKOUT_SAGA_DEADLINE_MS: 'soon' })).toThrow(/CHECKOUT_SAGA_DEADLINE_MS/);
    expect(() => ordersConfigFromEnv({ CHECKOUT_RETRY_BASE_MS: '500', CHECKOUT_RETRY_MAX_MS: '100' })).toThrow(
      /CHECKOUT_RETRY_MAX_MS/,
    );
    expect(() => ordersConfigFromEnv({ INVENTORY_URLS: 'ftp://x' })).toThrow(/INVENTORY_URLS/);
  });
});
