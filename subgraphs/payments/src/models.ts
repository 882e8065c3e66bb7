import type { PaymentRecord } from './db.ts';

/** Resolvers' parent types (codegen mappers). */
export type PaymentRow = PaymentRecord;
export type OrderRef = { id: string };
export type { MoneyValue } from '../../../lib/graphql/index.ts';
export type { ChargeResultValue } from './charges.ts';
