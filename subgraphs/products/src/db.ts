import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaClient } from './__generated__/prisma/client.ts';

/** The products service's own client; query events feed the SQL statement counter. */
export function createPrisma(adapter: SqlMigrationAwareDriverAdapterFactory) {
  return new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] });
}

export type ProductsPrisma = ReturnType<typeof createPrisma>;
export type { Product as ProductRecord, Category as CategoryRecord, Prisma } from './__generated__/prisma/client.ts';
