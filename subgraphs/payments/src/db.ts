import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaClient } from './__generated__/prisma/client.ts';

/** The payments service's own client; query events feed the SQL statement counter. */
export function createPrisma(adapter: SqlMigrationAwareDriverAdapterFactory) {
  return new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] });
}

export type PaymentsPrisma = ReturnType<typeof createPrisma>;
export type { Payment as PaymentRecord, Prisma } from './__generated__/prisma/client.ts';
