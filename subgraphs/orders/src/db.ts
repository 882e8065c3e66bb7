import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaClient } from './__generated__/prisma/client.ts';

/** The orders service's own client; query events feed the SQL statement counter. */
export function createPrisma(adapter: SqlMigrationAwareDriverAdapterFactory) {
  return new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] });
}

export type OrdersPrisma = ReturnType<typeof createPrisma>;
export type { Order as OrderRecord, OrderItem as OrderItemRecord } from './__generated__/prisma/client.ts';
export type { OrderStatus } from './__generated__/prisma/enums.ts';
