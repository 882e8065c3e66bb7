import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaClient } from './__generated__/prisma/client.ts';

/** The inventory service's own client; query events feed the SQL statement counter. */
export function createPrisma(adapter: SqlMigrationAwareDriverAdapterFactory) {
  return new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] });
}

export type InventoryPrisma = ReturnType<typeof createPrisma>;
export type { Prisma, StockHoldStatus, StockItem as StockItemRecord } from './__generated__/prisma/client.ts';
