import type { Connection } from '../../../lib/graphql/index.ts';
import type { ReviewRecord } from './db.ts';

/** Resolvers' parent types (codegen mappers). */
export type ReviewRow = ReviewRecord;
export type ReviewConnectionParent = Connection<ReviewRow> & { totalCount: () => Promise<number> };
export type ProductRef = { id: string };
export type UserRef = { id: string };
