import type { Connection } from '../../../lib/graphql/index.ts';
import type { CartItemRecord, OrderItemRecord, OrderRecord, SagaRecord, SagaStepRecord } from './db.ts';

/** Resolvers' parent types (codegen mappers). */
export type OrderRow = OrderRecord;
export type OrderItemRow = OrderItemRecord & { currency: string };
export type OrderConnectionParent = Connection<OrderRow> & { totalCount: () => Promise<number> };
export type UserRef = { id: string };
export type ProductRef = { id: string };
export type CartLineRow = CartItemRecord;
export type CartValue = { userId: string; lines: CartLineRow[] };
export type SagaRow = SagaRecord;
export type SagaStepRow = SagaStepRecord;
export type { MoneyValue } from '../../../lib/graphql/index.ts';
