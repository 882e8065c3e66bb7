// What orders sends its providers is recorded as consumer contracts that each provider replays
// (products, inventory, payments): the code and the contracts must not drift apart.
import { Kind, parse, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { readContracts } from '../../../../tools/contracts/index.ts';
import type { SubgraphName } from '../../../../lib/services.ts';
import { OPERATIONS } from './providers.ts';

const PROVIDERS: Record<keyof typeof OPERATIONS, SubgraphName> = {
  reserveStock: 'inventory',
  releaseStock: 'inventory',
  commitStock: 'inventory',
  stockLevels: 'inventory',
  chargePayment: 'payments',
  refundPayment: 'payments',
  productSnapshot: 'products',
};

describe("orders' requests to its providers", () => {
  it.each(Object.entries(PROVIDERS) as Array<[keyof typeof OPERATIONS, SubgraphName]>)(
    "%s is the one recorded in %s's contracts",
    (name, provider) => {
      const document = parse(OPERATIONS[name]);
      const definition = document.definitions[0];
      const operationName = definition?.kind === Kind.OPERATION_DEFINITION ? definition.name?.value : undefined;
      const contract = readContracts(provider).find(
        (c) => c.consumer === 'orders-saga' && c.operationName === operationName,
      );
      expect(contract, `no orders-saga contract ${operationName} in subgraphs/${provider}/contracts`).toBeDefined();
      expect(print(parse(contract!.document))).toBe(print(document));
    },
  );
});
