import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaClient, type Prisma } from './__generated__/prisma/client.ts';

/** The orders service's own client; query events feed the SQL statement counter. */
export function createPrisma(adapter: SqlMigrationAwareDriverAdapterFactory) {
  return new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] });
}

export type OrdersPrisma = ReturnType<typeof createPrisma>;
/** An interactive transaction of that client. */
export type OrdersTx = Prisma.TransactionClient;
/** Either: reads that may run inside or outside a transaction. */
export type OrdersDb = OrdersPrisma | OrdersTx;

/**
 * Appends and projections run in interactive transactions; under a burst of checkouts they queue for
 * the pool's connections longer than Prisma's 2 s default wait.
 */
export const TX_OPTIONS = { maxWait: 15_000, timeout: 30_000 } as const;

export type {
  CartItem as CartItemRecord,
  Order as OrderRecord,
  OrderItem as OrderItemRecord,
  Saga as SagaRecord,
  SagaStep as SagaStepRecord,
} from './__generated__/prisma/client.ts';
export type { OrderStatus, SagaKind, SagaState, SagaStepStatus } from './__generated__/prisma/enums.ts';
