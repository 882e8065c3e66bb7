import { z } from 'zod';
import type { Logger } from '../../../../lib/observability/index.ts';
import { ServiceClient } from '../../../../lib/serviceClient/index.ts';
import type { OrdersConfig } from '../config.ts';
import { sharedReads } from './sharedReads.ts';

/**
 * The operations orders sends to inventory and payments (the checkout saga's steps, as agreed in
 * the saga interface) and to products (the price snapshot). Each provider's answer is validated
 * here: it is input from another process.
 */
export const OPERATIONS = {
  reserveStock: `mutation OrdersSagaReserveStock($sagaId: ID!, $lines: [StockLineInput!]!) {
  reserveStock(sagaId: $sagaId, lines: $lines) { sagaId status shortages { productId requested available } }
}`,
  releaseStock: `mutation OrdersSagaReleaseStock($sagaId: ID!, $reason: String!) {
  releaseStock(sagaId: $sagaId, reason: $reason) { sagaId status }
}`,
  commitStock: `mutation OrdersSagaCommitStock($sagaId: ID!) {
  commitStock(sagaId: $sagaId) { sagaId status }
}`,
  chargePayment: `mutation OrdersSagaChargePayment($input: ChargeInput!) {
  chargePayment(input: $input) { sagaId outcome declineCode }
}`,
  refundPayment: `mutation OrdersSagaRefundPayment($sagaId: ID!, $reason: String!) {
  refundPayment(sagaId: $sagaId, reason: $reason) { sagaId outcome declineCode }
}`,
  stockLevels: `query OrdersStockLevels($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { id stock { available } } }
}`,
  productSnapshot: `query OrdersProductSnapshot($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { id name price { amountCents currency } } }
}`,
} as const;

const holdStatus = z.enum(['HELD', 'REJECTED', 'RELEASED', 'COMMITTED', 'RETURNED']);
const stockHold = z.object({
  sagaId: z.string(),
  status: holdStatus,
  shortages: z
    .array(z.object({ productId: z.string(), requested: z.number().int(), available: z.number().int() }))
    .optional(),
});
const chargeResult = z.object({
  sagaId: z.string(),
  outcome: z.enum(['CAPTURED', 'DECLINED', 'REFUNDED', 'VOIDED']),
  declineCode: z.string().nullable(),
});
const productSnapshot = z
  .object({
    id: z.string(),
    name: z.string(),
    price: z.object({ amountCents: z.number().int().nonnegative(), currency: z.string() }),
  })
  .nullable();

const stockLevel = z.object({ id: z.string(), stock: z.object({ available: z.number().int() }) }).nullable();

export type StockHold = z.infer<typeof stockHold>;
export type ChargeResult = z.infer<typeof chargeResult>;
export type ProductSnapshot = NonNullable<z.infer<typeof productSnapshot>>;

export interface PaymentCard {
  number: string;
  expMonth: number;
  expYear: number;
  cvc: string;
}

export interface StockLine {
  productId: string;
  quantity: number;
}

/** What the saga and the cart need from the other services, whoever implements them (tests hand in their own). */
export interface Providers {
  reserveStock(userId: string, sagaId: string, lines: StockLine[]): Promise<StockHold>;
  releaseStock(userId: string, sagaId: string, reason: string): Promise<StockHold>;
  commitStock(userId: string, sagaId: string): Promise<StockHold>;
  chargePayment(
    userId: string,
    input: { sagaId: string; orderId: string; amountCents: number; currency: string; card: PaymentCard },
  ): Promise<ChargeResult>;
  refundPayment(userId: string, sagaId: string, reason: string): Promise<ChargeResult>;
  /**
   * Units each product has available now (on hand minus reserved, as last committed), in the order
   * asked: a hint for refusing a sold-out checkout before anything is written, never a reservation.
   */
  availableUnits(userId: string, productIds: readonly string[]): Promise<number[]>;
  /** Each product by id (null for one products does not know), in the order asked. */
  products(userId: string, productIds: readonly string[]): Promise<Array<ProductSnapshot | null>>;
  close(): Promise<void>;
}

function field<T>(data: Record<string, unknown>, name: string, schema: z.ZodType<T>, service: string): T {
  const parsed = schema.safeParse(data[name]);
  if (!parsed.success)
    throw new Error(`${service} answered ${name} with an unexpected shape: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/**
 * Shared reads of stock levels and prices: two at once per kind (one slow answer does not hold up
 * every checkout), at most a cart's worth of ids per read.
 */
const SHARED_READ_LIMITS = { maxInFlight: 2, maxIds: 100 } as const;

/** The real providers over the network, one resilient client per service. */
export function createProviders(config: OrdersConfig, logger: Logger): Providers {
  const client = (name: 'inventory' | 'payments' | 'products') =>
    new ServiceClient({
      name,
      urls: config.providers[name].urls,
      policy: config.providers[name].policy,
      signing: config.signing,
      logger,
    });
  const inventory = client('inventory');
  const payments = client('payments');
  const products = client('products');
  // Stock levels and prices are the same for every buyer: asked as the service, shared between callers.
  const entities = async (service: ServiceClient, query: string, productIds: string[]) =>
    service.request({
      query,
      variables: { representations: productIds.map((id) => ({ __typename: 'Product', id })) },
      userId: null,
      kind: 'query',
    });
  const stockLevels = sharedReads(async (productIds) => {
    const data = await entities(inventory, OPERATIONS.stockLevels, productIds);
    const levels = field(data, '_entities', z.array(stockLevel).length(productIds.length), 'inventory');
    return levels.map((level) => level?.stock.available ?? 0);
  }, SHARED_READ_LIMITS);
  const productSnapshots = sharedReads(async (productIds) => {
    const data = await entities(products, OPERATIONS.productSnapshot, productIds);
    return field(data, '_entities', z.array(productSnapshot).length(productIds.length), 'products');
  }, SHARED_READ_LIMITS);
  const mutate = (service: ServiceClient, query: string, variables: Record<string, unknown>, userId: string) =>
    service.request({ query, variables, userId, kind: 'mutation' });
  return {
    async reserveStock(userId, sagaId, lines) {
      return field(
        await mutate(inventory, OPERATIONS.reserveStock, { sagaId, lines }, userId),
        'reserveStock',
        stockHold,
        'inventory',
      );
    },
    async releaseStock(userId, sagaId, reason) {
      return field(
        await mutate(inventory, OPERATIONS.releaseStock, { sagaId, reason }, userId),
        'releaseStock',
        stockHold,
        'inventory',
      );
    },
    async commitStock(userId, sagaId) {
      return field(
        await mutate(inventory, OPERATIONS.commitStock, { sagaId }, userId),
        'commitStock',
        stockHold,
        'inventory',
      );
    },
    async chargePayment(userId, input) {
      return field(
        await mutate(payments, OPERATIONS.chargePayment, { input }, userId),
        'chargePayment',
        chargeResult,
        'payments',
      );
    },
    async refundPayment(userId, sagaId, reason) {
      return field(
        await mutate(payments, OPERATIONS.refundPayment, { sagaId, reason }, userId),
        'refundPayment',
        chargeResult,
        'payments',
      );
    },
    availableUnits(_userId, productIds) {
      return stockLevels(productIds);
    },
    products(_userId, productIds) {
      return productSnapshots(productIds);
    },
    async close() {
      await Promise.all([inventory.close(), payments.close(), products.close()]);
    },
  };
}
