import { appError, badUserInput } from '../../../../lib/errors.ts';
import { parseId } from '../../../../lib/graphql/index.ts';
import type { Logger } from '../../../../lib/observability/index.ts';
import { TX_OPTIONS, type OrdersDb, type OrdersPrisma, type OrdersTx } from '../db.ts';
import type { CartValue } from '../models.ts';
import type { ProductSnapshot, Providers } from '../saga/providers.ts';

export const MAX_CART_LINES = 100;
export const MAX_LINE_QUANTITY = 1000;

export interface CartDeps {
  prisma: OrdersPrisma;
  providers: Providers;
  logger: Logger;
}

export async function cartOf(db: OrdersDb, userId: string): Promise<CartValue> {
  const lines = await db.cartItem.findMany({ where: { userId }, orderBy: [{ addedAt: 'asc' }, { productId: 'asc' }] });
  return { userId, lines };
}

function checkQuantity(quantity: number, min: number): void {
  if (!Number.isInteger(quantity) || quantity < min || quantity > MAX_LINE_QUANTITY) {
    throw badUserInput(`"quantity" must be between ${min} and ${MAX_LINE_QUANTITY}, got ${quantity}`, 'quantity');
  }
}

/**
 * Products' current view of some products, for the signed-in user. A products service that cannot
 * answer is SERVICE_UNAVAILABLE (try again), never taken as "no such product".
 */
export async function productSnapshots(
  deps: Pick<CartDeps, 'providers' | 'logger'>,
  userId: string,
  productIds: readonly string[],
): Promise<Array<ProductSnapshot | null>> {
  try {
    return await deps.providers.products(userId, productIds);
  } catch (error) {
    deps.logger.warn({ err: error }, 'products could not be read for the cart');
    throw appError('SERVICE_UNAVAILABLE', 'The products service could not be reached; try again', {
      serviceName: 'products',
    });
  }
}

async function requireProduct(deps: CartDeps, userId: string, productId: string): Promise<void> {
  const [product] = await productSnapshots(deps, userId, [productId]);
  if (!product) throw badUserInput(`No product has the id ${productId}`, 'productId');
}

/**
 * Takes the user's cart lock for the rest of `tx` (a transaction-scoped advisory lock). Every cart
 * edit and checkout's placing transaction hold it, so they run one at a time per user: the 100-line
 * cap holds under concurrent adds, and checkout orders exactly the lines it read.
 */
export async function lockCart(tx: OrdersTx, userId: string): Promise<void> {
  await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(hashtextextended($1, 7001))`, `cart:${userId}`);
}

async function lockedCart<T>(prisma: OrdersPrisma, userId: string, change: (tx: OrdersTx) => Promise<T>): Promise<T> {
  return prisma.$transaction(async (tx) => {
    await lockCart(tx, userId);
    return change(tx);
  }, TX_OPTIONS);
}

async function setLine(
  tx: OrdersTx,
  userId: string,
  productId: string,
  quantity: (current: number) => number,
): Promise<void> {
  const existing = await tx.cartItem.findUnique({ where: { userId_productId: { userId, productId } } });
  const next = quantity(existing?.quantity ?? 0);
  if (next > MAX_LINE_QUANTITY)
    throw badUserInput(`A cart line holds at most ${MAX_LINE_QUANTITY} units; this one would hold ${next}`, 'quantity');
  if (existing) {
    await tx.cartItem.update({ where: { userId_productId: { userId, productId } }, data: { quantity: next } });
    return;
  }
  if ((await tx.cartItem.count({ where: { userId } })) >= MAX_CART_LINES) {
    throw badUserInput(`A cart holds at most ${MAX_CART_LINES} different products`, 'productId');
  }
  await tx.cartItem.create({ data: { userId, productId, quantity: next } });
}

export async function addToCart(
  deps: CartDeps,
  userId: string,
  rawProductId: string,
  quantity: number,
): Promise<CartValue> {
  const productId = parseId(rawProductId, 'productId');
  checkQuantity(quantity, 1);
  await requireProduct(deps, userId, productId);
  await lockedCart(deps.prisma, userId, (tx) => setLine(tx, userId, productId, (current) => current + quantity));
  return cartOf(deps.prisma, userId);
}

export async function updateCartItem(
  deps: CartDeps,
  userId: string,
  rawProductId: string,
  quantity: number,
): Promise<CartValue> {
  const productId = parseId(rawProductId, 'productId');
  checkQuantity(quantity, 0);
  if (quantity === 0) return removeFromCart(deps, userId, productId);
  const present = await deps.prisma.cartItem.findUnique({
    where: { userId_productId: { userId, productId } },
    select: { productId: true },
  });
  if (!present) await requireProduct(deps, userId, productId);
  await lockedCart(deps.prisma, userId, (tx) => setLine(tx, userId, productId, () => quantity));
  return cartOf(deps.prisma, userId);
}

export async function removeFromCart(deps: CartDeps, userId: string, rawProductId: string): Promise<CartValue> {
  const productId = parseId(rawProductId, 'productId');
  await lockedCart(deps.prisma, userId, (tx) => tx.cartItem.deleteMany({ where: { userId, productId } }));
  return cartOf(deps.prisma, userId);
}
