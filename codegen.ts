import type { CodegenConfig } from '@graphql-codegen/cli';

/** Resolver types for every subgraph, from its SDL; `models.ts` beside each server maps GraphQL types to the rows resolvers return. */
const subgraphs = ['users', 'products', 'inventory', 'orders', 'payments', 'reviews'] as const;

const mappers: Record<(typeof subgraphs)[number], Record<string, string>> = {
  users: { User: 'UserRow', UserConnection: 'UserConnectionParent' },
  products: {
    Product: 'ProductRow',
    Category: 'CategoryRow',
    ProductConnection: 'ProductConnectionParent',
    Money: 'MoneyValue',
    User: 'UserRef',
  },
  inventory: { Product: 'ProductRef', Stock: 'StockValue', StockHold: 'StockHoldValue' },
  orders: {
    Order: 'OrderRow',
    OrderItem: 'OrderItemRow',
    OrderConnection: 'OrderConnectionParent',
    Money: 'MoneyValue',
    User: 'UserRef',
    Product: 'ProductRef',
    Cart: 'CartValue',
    CartLine: 'CartLineRow',
    Saga: 'SagaRow',
    SagaStep: 'SagaStepRow',
  },
  payments: { Payment: 'PaymentRow', Order: 'OrderRef', Money: 'MoneyValue', ChargeResult: 'ChargeResultValue' },
  reviews: { Review: 'ReviewRow', ReviewConnection: 'ReviewConnectionParent', Product: 'ProductRef', User: 'UserRef' },
};

const config: CodegenConfig = {
  overwrite: true,
  generates: Object.fromEntries(
    subgraphs.map((name) => [
      `subgraphs/${name}/src/__generated__/resolvers-types.ts`,
      {
        schema: `subgraphs/${name}/schema.graphql`,
        plugins: ['typescript', 'typescript-resolvers'],
        config: {
          federation: true,
          useIndexSignature: true,
          contextType: '../context.ts#Context',
          mappers: Object.fromEntries(
            Object.entries(mappers[name]).map(([type, model]) => [type, `../models.ts#${model}`]),
          ),
          scalars: { DateTime: 'Date' },
          enumsAsTypes: true,
          useTypeImports: true,
          avoidOptionals: false,
        },
      },
    ]),
  ),
};

export default config;
