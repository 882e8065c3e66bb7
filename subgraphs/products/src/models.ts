import type { Connection } from '../../../lib/graphql/index.ts';
import type { CategoryRecord, ProductRecord } from './db.ts';

/** Resolvers' parent types (codegen mappers). */
export type ProductRow = ProductRecord;
export type CategoryRow = CategoryRecord;
export type ProductConnectionParent = Connection<ProductRow> & { totalCount: () => Promise<number> };
export type UserRef = { id: string };
export type { MoneyValue } from '../../../lib/graphql/index.ts';
