import type { Connection } from '../../../lib/graphql/index.ts';
import type { UserRecord } from './db.ts';

/** Resolvers' parent types (codegen mappers). */
export type UserRow = UserRecord;
export type UserConnectionParent = Connection<UserRow> & { totalCount: () => Promise<number> };
