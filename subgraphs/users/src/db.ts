import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaClient } from './__generated__/prisma/client.ts';

/** The users service's own client; query events feed the SQL statement counter. */
export function createPrisma(adapter: SqlMigrationAwareDriverAdapterFactory) {
  return new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] });
}

export type UsersPrisma = ReturnType<typeof createPrisma>;
export type { User as UserRecord } from './__generated__/prisma/client.ts';
