// The checkout saga's steps are internal: composed into the supergraphs as @inaccessible, so no
// gateway client can even validate an operation that names them, while the subgraphs still serve
// them to signed service callers.
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Kind, parse, type FieldDefinitionNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewaySupergraphPath, readSubgraphSdl } from '../lib/composition.ts';
import type { RunningServer } from '../lib/http/index.ts';
import { silentLogger } from '../lib/observability/index.ts';
import { apiSchemaOf } from '../tools/schema-check/supergraphs.ts';
import { demoData } from '../lib/seed/index.ts';
import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/services.ts';
import type { ServicePrisma, StartedSubgraph } from '../lib/subgraph/index.ts';
import { inventoryService } from '../subgraphs/inventory/src/service.ts';
import { paymentsService } from '../subgraphs/payments/src/service.ts';
import { gatewaySigned, postToSubgraph, TEST_SIGNING_SECRET } from './support/auth.ts';
import { databaseEnv, dropDatabasesWithPrefix, uniquePrefix } from './support/databases.ts';
import { postGraphQL, startTestGateway } from './support/gateway.ts';

const SAGA_FIELDS = ['reserveStock', 'releaseStock', 'commitStock', 'chargePayment', 'refundPayment'];
const SAGA_TYPES = [
  'StockHold',
  'StockHoldLine',
  'StockShortage',
  'StockHoldStatus',
  'StockLineInput',
  'ChargeInput',
  'CardInput',
  'ChargeOutcome',
  'ChargeResult',
];

const prefix = uniquePrefix('sagaapi');
const logger = silentLogger();
let inventory: StartedSubgraph<ServicePrisma>;
let payments: StartedSubgraph<ServicePrisma>;
let gateway: RunningServer;

const sagaId = randomUUID();
const productId = demoData(1).stock.find((s) => s.onHand > 0)?.productId ?? '';
const OPERATIONS: Record<string, [string, Record<string, unknown>]> = {
  reserveStock: [
    'mutation($sagaId: ID!, $lines: [StockLineInput!]!) { reserveStock(sagaId: $sagaId, lines: $lines) { status } }',
    { sagaId, lines: [{ productId, quantity: 1 }] },
  ],
  releaseStock: ['mutation($sagaId: ID!) { releaseStock(sagaId: $sagaId, reason: "test") { status } }', { sagaId }],
  commitStock: ['mutation($sagaId: ID!) { commitStock(sagaId: $sagaId) { status } }', { sagaId }],
  chargePayment: [
    'mutation($input: ChargeInput!) { chargePayment(input: $input) { outcome } }',
    {
      input: {
        sagaId,
        orderId: sagaId,
        amountCents: 100,
        currency: 'USD',
        card: { number: '4242424242424242', expMonth: 12, expYear: 2099, cvc: '123' },
      },
    },
  ],
  refundPayment: ['mutation($sagaId: ID!) { refundPayment(sagaId: $sagaId, reason: "test") { outcome } }', { sagaId }],
};

beforeAll(async () => {
  const env = { ...databaseEnv(prefix), GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET };
  [inventory, payments] = await Promise.all([
    inventoryService.start({ env, port: 0, logger, seedScale: 1 }),
    paymentsService.start({ env, port: 0, logger }),
  ]);
  // Only inventory and payments run: validation refuses the operations before anything is planned.
  const closed = 'http://127.0.0.1:9/graphql';
  const urls = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, closed])) as Record<SubgraphName, string>;
  gateway = await startTestGateway({ ...urls, inventory: inventory.url, payments: payments.url });
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([inventory?.close(), payments?.close()]);
  await dropDatabasesWithPrefix(prefix);
});

/** The holds of the seeded orders placed through checkout (payments runs unseeded here). */
const seededSagaRows = demoData(1).orders.filter((o) => o.checkout).length;

async function sagaRows(): Promise<number> {
  const [holds] = await inventory.prisma.$queryRawUnsafe<Array<{ n: number }>>(
    `SELECT count(*)::int AS n FROM "StockHold"`,
  );
  const [charges] = await payments.prisma.$queryRawUnsafe<Array<{ n: number }>>(
    `SELECT count(*)::int AS n FROM "SagaCharge"`,
  );
  return (holds?.n ?? 0) + (charges?.n ?? 0);
}

describe('through gateway-web', () => {
  it.each(SAGA_FIELDS)(
    'refuses mutation %s as GRAPHQL_VALIDATION_FAILED, and nothing reaches the subgraph',
    async (field) => {
      const [query, variables] = OPERATIONS[field] ?? ['', {}];
      const response = await postGraphQL(gateway.url, query, variables);
      expect(response.status).toBe(400);
      expect(response.body.errors?.map((e) => e.extensions?.code)).toEqual(
        expect.arrayContaining(['GRAPHQL_VALIDATION_FAILED']),
      );
      expect(response.body.data).toBeUndefined();
      // Only the seeded holds: nothing new.
      expect(await sagaRows()).toBe(seededSagaRows);
    },
  );

  it('shows none of the saga types or fields to introspection', async () => {
    const types = SAGA_TYPES.map((name, i) => `t${i}: __type(name: "${name}") { name }`).join(' ');
    const response = await postGraphQL(gateway.url, `{ ${types} __schema { mutationType { fields { name } } } }`);
    expect(response.body.errors).toBeUndefined();
    const data = response.body.data ?? {};
    expect(SAGA_TYPES.map((_, i) => data[`t${i}`])).toEqual(SAGA_TYPES.map(() => null));
    const mutationType = (data.__schema as { mutationType: { fields: Array<{ name: string }> } | null }).mutationType;
    expect((mutationType?.fields ?? []).map((f) => f.name).filter((name) => SAGA_FIELDS.includes(name))).toEqual([]);
  });

  it('while the subgraphs serve the same operations to a signed service caller', async () => {
    const signed = () => gatewaySigned({ userId: randomUUID(), client: 'service' });
    const [reserveQuery, reserveVariables] = OPERATIONS.reserveStock ?? ['', {}];
    const reserved = await postToSubgraph(inventory.url, reserveQuery, reserveVariables, signed());
    expect(reserved.body).toEqual({ data: { reserveStock: { status: 'HELD' } } });
    const [chargeQuery, chargeVariables] = OPERATIONS.chargePayment ?? ['', {}];
    const charged = await postToSubgraph(payments.url, chargeQuery, chargeVariables, signed());
    expect(charged.body).toEqual({ data: { chargePayment: { outcome: 'CAPTURED' } } });
  });
});

/** Mutation fields a subgraph declares without @inaccessible on the field itself. */
function publicMutationFields(sdl: string): string[] {
  return parse(sdl)
    .definitions.flatMap((d) =>
      (d.kind === Kind.OBJECT_TYPE_DEFINITION || d.kind === Kind.OBJECT_TYPE_EXTENSION) && d.name.value === 'Mutation'
        ? (d.fields ?? [])
        : [],
    )
    .filter((f: FieldDefinitionNode) => !(f.directives ?? []).some((dir) => dir.name.value === 'inaccessible'))
    .map((f) => f.name.value);
}

describe("the gateways' API schemas", () => {
  it.each(['web', 'mobile'] as const)('of gateway-%s hold no saga field or type', (name) => {
    const schema = apiSchemaOf(readFileSync(gatewaySupergraphPath(name), 'utf8'));
    const mutationFields = Object.keys(schema.getMutationType()?.getFields() ?? {});
    expect(mutationFields.filter((f) => SAGA_FIELDS.includes(f))).toEqual([]);
    expect(SAGA_TYPES.filter((t) => schema.getType(t))).toEqual([]);
  });

  // inventory and payments mark their whole Mutation type @inaccessible while no subgraph has a public
  // mutation (composition refuses a Mutation of inaccessible fields only). A subgraph that adds one
  // makes that type-level mark hide it: this fails until the type-level marks are removed.
  it.each(['web', 'mobile'] as const)('of gateway-%s keep every mutation a subgraph declares public', async (name) => {
    const declared = (await Promise.all(SUBGRAPH_NAMES.map(readSubgraphSdl))).flatMap(publicMutationFields);
    const schema = apiSchemaOf(readFileSync(gatewaySupergraphPath(name), 'utf8'));
    const served = Object.keys(schema.getMutationType()?.getFields() ?? {});
    expect(declared.filter((field) => !served.includes(field))).toEqual([]);
  });
});
