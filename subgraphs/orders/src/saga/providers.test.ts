// What orders sends products is recorded as a consumer contract that products replays: the two
// must not drift apart.
import { parse, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { readContracts } from '../../../../lib/contracts/index.ts';
import { OPERATIONS } from './providers.ts';

describe('orders\' requests to products', () => {
  it('are the ones recorded in products\' contracts', () => {
    const contract = readContracts('products').find((c) => c.consumer === 'orders-saga' && c.operationName === 'OrdersProductSnapshot');
    expect(contract).toBeDefined();
    expect(print(parse(contract!.document))).toBe(print(parse(OPERATIONS.productSnapshot)));
  });
});
