import { randomUUID } from 'node:crypto';
import { badUserInput } from '../../../../lib/errors.ts';
import type { Logger } from '../../../../lib/observability/index.ts';
import { lockCart, productSnapshots } from '../cart/cart.ts';
import type { SagaConfig } from '../config.ts';
import { TX_OPTIONS, type CartItemRecord, type OrderRecord, type OrdersPrisma, type OrdersTx } from '../db.ts';
import { appendToStream } from '../eventStore/eventStore.ts';
import { orderEvent } from '../eventStore/events.ts';
import { emptyStream, fold, type StreamView } from '../readModel/fold.ts';
import { projectChange } from '../readModel/project.ts';
import { takeLease } from '../saga/lease.ts';
import type { PaymentCard, Providers } from '../saga/providers.ts';
import type { SagaRunner } from '../saga/runner.ts';
import type { StepOutcome, StockShortage } from '../saga/steps.ts';
import { parseCard, type CardInput } from './card.ts';
import { refusal } from './refusal.ts';
import { STOCK_GATE_MAX_WAIT_MS, STOCK_GATE_WAIT_MS, type StockGate } from './stockGate.ts';
import {
  checkIdempotencyKey,
  expiryCutoff,
  findIdempotencyKey,
  requestHash,
  requireSameRequest,
  type IdempotencyRecord,
} from './idempotency.ts';

/**
 * Of a caller's patience (`answerBy`), what a checkout keeps for placing the order and hearing its
 * reservation when it waits for a stock turn: 30%, and at least this much.
 */
const MIN_PLACEMENT_ALLOWANCE_MS = 300;
/** How long before the caller stops waiting the answer leaves (the way back through the gateway). */
const RESPONSE_ALLOWANCE_MS = 100;

export interface CheckoutDeps {
  prisma: OrdersPrisma;
  providers: Providers;
  runner: SagaRunner;
  saga: SagaConfig;
  hashKey: Buffer;
  logger: Logger;
  gate: StockGate;
}

/**
 * The order a key already stands for, in its current state. A saga that nobody drives (the replica
 * that placed it stopped) is picked up here with the card this call brought, so it can still charge
 * instead of being compensated by recovery; a saga someone drives is left to them (the lease says so).
 */
async function replay(
  deps: CheckoutDeps,
  record: IdempotencyRecord,
  hash: string,
  card: PaymentCard,
): Promise<OrderRecord> {
  requireSameRequest(record, hash);
  deps.runner.metrics?.idempotentReplay();
  const order = await deps.prisma.order.findUnique({ where: { id: record.orderId } });
  if (!order) throw new Error(`Idempotency key names order ${record.orderId}, which has no row`);
  if (order.status === 'PENDING') deps.runner.launch(order.id, { card });
  return order;
}

/**
 * Where a checkout starts, in one statement (one snapshot): the live record of its idempotency key,
 * if any, and the buyer's cart lines in cart order (oldest first, then by product). A sold-out
 * refusal then costs orders this one statement.
 */
async function keyAndCart(
  db: OrdersPrisma,
  userId: string,
  key: string,
): Promise<{ known: IdempotencyRecord | null; lines: CartItemRecord[] }> {
  const rows = await db.$queryRawUnsafe<
    Array<CartItemRecord & { known: boolean; orderId: string | null; requestHash: string | null }>
  >(
    `SELECT true AS "known", k."orderId", k."requestHash", NULL::uuid AS "userId", NULL::uuid AS "productId",
            NULL::int AS "quantity", NULL::timestamp(3) AS "addedAt", NULL::timestamp(3) AS "updatedAt"
       FROM "IdempotencyKey" k
      WHERE k."userId" = $1::uuid AND k."key" = $2 AND k."createdAt" >= $3::timestamptz
     UNION ALL
     SELECT false, NULL, NULL, c."userId", c."productId", c."quantity", c."addedAt", c."updatedAt"
       FROM "CartItem" c WHERE c."userId" = $1::uuid
     ORDER BY "known" DESC, "addedAt", "productId"`,
    userId,
    key,
    expiryCutoff().toISOString(),
  );
  const keyRow = rows.find((row) => row.known);
  return {
    known: keyRow?.orderId && keyRow.requestHash ? { orderId: keyRow.orderId, requestHash: keyRow.requestHash } : null,
    lines: rows
      .filter((row) => !row.known)
      .map(({ userId: owner, productId, quantity, addedAt, updatedAt }) => ({
        userId: owner,
        productId,
        quantity,
        addedAt,
        updatedAt,
      })),
  };
}

/**
 * The cart asks for units inventory does not have: sold out, or held by checkouts in progress. The
 * shortages say which lines, with what was available when inventory looked; nothing was charged.
 */
function outOfStock(shortages: readonly StockShortage[], orderId?: string) {
  const list = shortages.map((s) => `${s.productId} (requested ${s.requested}, available ${s.available})`);
  return refusal('OUT_OF_STOCK', `Not enough stock for ${list.join(', ')}; nothing was charged`, {
    argumentName: 'input',
    shortages,
    // Refused by the reservation: the order was placed (its cart emptied) and its saga fails it.
    ...(orderId ? { orderId } : {}),
  });
}

/**
 * Units available of each line's product as inventory last committed them, or null when inventory
 * cannot be asked (the saga's reservation decides then). Nothing is locked or written.
 */
async function stockLevels(deps: CheckoutDeps, userId: string, lines: readonly CartItemRecord[]) {
  try {
    return await deps.providers.availableUnits(
      userId,
      lines.map((l) => l.productId),
    );
  } catch (error) {
    deps.logger.warn({ err: error }, 'stock levels could not be read before checkout; the reservation decides');
    return null;
  }
}

/** Stock levels as `stockLevels` reads them, with the gate's release count from before the read was asked. */
interface Levels {
  available: number[] | null;
  releasesBefore: number;
}

async function readLevels(deps: CheckoutDeps, userId: string, lines: readonly CartItemRecord[]): Promise<Levels> {
  const releasesBefore = deps.gate.releases;
  return { available: await stockLevels(deps, userId, lines), releasesBefore };
}

/**
 * A sold-out product is refused here (OUT_OF_STOCK) without an order, a saga or a row lock; a
 * product with units left goes on to the reservation, which alone decides under concurrency, once
 * this process's stock gate gives the cart a turn (`release` once the reservation answered). Levels
 * read while a reservation let through here answered give no turn: they may not count its units yet
 * while the gate no longer does, so they are read again at once (without that, a waiter woken by an
 * earlier release could take a turn on a unit just held and place an order its reservation refuses).
 * Levels that cannot be read, or a turn not given in time (no reservation answering for
 * `STOCK_GATE_WAIT_MS`, or `STOCK_GATE_MAX_WAIT_MS` in all, or the caller's patience nearly spent:
 * `answerBy`, less what placing and reserving need), let the checkout go on without one.
 * `waited`: the shortage was seen after waiting for a turn.
 */
async function stockTurn(
  deps: CheckoutDeps,
  userId: string,
  lines: readonly CartItemRecord[],
  first: Levels,
  answerBy: number | null,
): Promise<{ release: () => void } | { shortages: StockShortage[]; waited: boolean }> {
  const started = Date.now();
  // What the caller's patience leaves for waiting: the rest is for placing the order and its reservation.
  const waitsUntil =
    answerBy === null ? Infinity : answerBy - Math.max(MIN_PLACEMENT_ALLOWANCE_MS, (answerBy - started) * 0.3);
  let deadline = Math.min(started + STOCK_GATE_WAIT_MS, waitsUntil);
  let waited = false;
  let turnsOver = false;
  for (let levels = first; levels.available; levels = await readLevels(deps, userId, lines)) {
    const available = levels.available;
    const shortages = lines
      .map((line, i) => ({ productId: line.productId, requested: line.quantity, available: available[i] ?? 0 }))
      .filter((s) => s.available < s.requested);
    if (shortages.length) return { shortages, waited };
    if (turnsOver) break;
    // A reservation answered since: the gate moves, so waiting goes on (within the overall bound).
    const moved = () =>
      (deadline = Math.min(started + STOCK_GATE_MAX_WAIT_MS, Date.now() + STOCK_GATE_WAIT_MS, waitsUntil));
    if (levels.releasesBefore !== deps.gate.releases && Date.now() < deadline) {
      moved();
      continue;
    }
    const turn = deps.gate.enter(lines, available);
    if (turn !== 'wait' && turn !== 'short') return { release: turn };
    const left = deadline - Date.now();
    // No turn in time: one more look at the levels, then on without a turn.
    turnsOver = left <= 0 || !(await deps.gate.nextRelease(left));
    if (!turnsOver) moved();
    waited = true;
  }
  return { release: () => undefined };
}

/**
 * Starts the placed order's saga and waits for its reservation's answer only: a refusal for want of
 * stock becomes the response's OUT_OF_STOCK (the saga records it and fails the order on its own), any
 * other answer, or none (the runner stopped), leaves the order PENDING as placed. So does a caller
 * about to stop waiting (`answerBy`): the order is answered PENDING while it still listens, and the
 * saga goes on. `release` (the stock gate's turn) is called once the reservation answered, however
 * early the response left.
 */
async function startSaga(
  deps: CheckoutDeps,
  view: StreamView,
  card: PaymentCard,
  release: () => void,
  answerBy: number | null,
): Promise<void> {
  const reservation = new Promise<StepOutcome | null>((resolve) => {
    void deps.runner
      .drive(view.streamId, {
        card,
        leased: true,
        announced: 'RESERVE_STOCK',
        view,
        onStep: (step, outcome) => {
          if (step === 'RESERVE_STOCK') resolve(outcome);
        },
      })
      .then(() => resolve(null));
  });
  void reservation.then(() => release());
  let timer: NodeJS.Timeout | undefined;
  const patience =
    answerBy === null
      ? null
      : new Promise<'caller leaving'>((resolve) => {
          timer = setTimeout(() => resolve('caller leaving'), answerBy - RESPONSE_ALLOWANCE_MS - Date.now());
        });
  const reserved = await (patience ? Promise.race([reservation, patience]) : reservation);
  clearTimeout(timer);
  if (reserved === 'caller leaving') return;
  if (reserved?.kind === 'refused' && reserved.shortages?.length) throw outOfStock(reserved.shortages, view.streamId);
}

/**
 * What a second placement meets when the cart it priced is not the cart under the lock: another
 * checkout (a double tap with a fresh key) emptied it, or an edit landed in between. Nothing was
 * written; the client shows the cart (or its latest order) again.
 */
function cartChanged(now: readonly CartItemRecord[]) {
  return refusal(
    'CART_CHANGED',
    now.length === 0
      ? 'The cart was emptied while checking out (another checkout placed it); see your latest order'
      : 'The cart changed while checking out; review it and check out again',
    { argumentName: 'input' },
  );
}

/**
 * The cart's lines under its lock, which must be the lines that were priced: same products, same
 * quantities. Read inside the placing transaction, so what is ordered is exactly what is deleted.
 */
async function lockedLines(tx: OrdersTx, userId: string, priced: readonly CartItemRecord[]): Promise<CartItemRecord[]> {
  await lockCart(tx, userId);
  const now = await tx.cartItem.findMany({ where: { userId }, orderBy: [{ addedAt: 'asc' }, { productId: 'asc' }] });
  const same =
    now.length === priced.length &&
    now.every((line, i) => line.productId === priced[i]!.productId && line.quantity === priced[i]!.quantity);
  if (!same) throw cartChanged(now);
  return now;
}

interface PlacementInput {
  userId: string;
  key: string;
  hash: string;
  card: PaymentCard;
  /** The cart lines as priced: the placing transaction orders them only if the cart still holds exactly them. */
  lines: CartItemRecord[];
  items: Array<{
    id: string;
    productId: string;
    quantity: number;
    unitPriceCents: number;
    position: number;
    currency: string;
  }>;
}

/**
 * `checkout`: the cart becomes an order at the products' current prices and its saga starts. The
 * cart is read and priced first (products is a network call, kept out of the transaction), then one
 * transaction records the idempotency key, takes the cart's lock (the one cart edits take), checks
 * the cart is still what was priced (else CART_CHANGED), records the OrderPlaced event (with the
 * reservation's start), its read-model rows and the runner's lease, and deletes exactly the ordered
 * lines; the saga then runs in this process, the response waiting for its reservation only (stock
 * short there is OUT_OF_STOCK; charging and confirming go on in the background). A cart that
 * inventory's last committed levels already cannot meet is OUT_OF_STOCK before anything is written
 * (read beside the prices), so a rush on a sold-out product costs no order, saga or lock; while this
 * process has as many checkouts waiting on their reservation as there are units left, the next ones
 * wait for a turn and look again (stockGate.ts), so a rush on the last units places about as many
 * orders as there are units. Of concurrent calls with one key, the first to insert the key places
 * the order and the others wait on its row and replay it; of concurrent calls with different keys,
 * the first places the order and the others find the cart
 * emptied: CART_CHANGED, one order, one charge.
 */
export async function placeOrder(
  deps: CheckoutDeps,
  userId: string,
  input: { paymentMethod: CardInput },
  rawKey: string,
  answerBy: number | null = null,
): Promise<OrderRecord> {
  const { prisma } = deps;
  const key = checkIdempotencyKey(rawKey);
  const card = parseCard(input.paymentMethod);
  const hash = requestHash(deps.hashKey, card);
  const { known, lines } = await keyAndCart(prisma, userId, key);
  if (known) return replay(deps, known, hash, card);
  if (lines.length === 0) {
    // A concurrent call with this key may have just placed the order and emptied the cart.
    const placedMeanwhile = await findIdempotencyKey(prisma, userId, key);
    if (placedMeanwhile) return replay(deps, placedMeanwhile, hash, card);
    throw badUserInput('The cart is empty', 'input');
  }
  // Prices and stock levels at once: two reads of other services, neither in a transaction.
  const [products, levels] = await Promise.all([
    productSnapshots(
      deps,
      userId,
      lines.map((l) => l.productId),
    ),
    readLevels(deps, userId, lines),
  ]);
  const items = lines.map((line, position) => {
    const product = products[position];
    if (!product) throw badUserInput(`Product ${line.productId} is no longer sold; remove it from the cart`, 'input');
    return {
      id: randomUUID(),
      productId: line.productId,
      quantity: line.quantity,
      unitPriceCents: product.price.amountCents,
      position,
      currency: product.price.currency,
    };
  });
  const currencies = new Set(items.map((i) => i.currency));
  if (currencies.size !== 1)
    throw badUserInput('The cart mixes currencies; check out each currency separately', 'input');
  const turn = await stockTurn(deps, userId, lines, levels, answerBy);
  if ('shortages' in turn) {
    // What it waited on may have been a call with this key (a double tap), whose order is this call's too.
    const placedMeanwhile = turn.waited ? await findIdempotencyKey(prisma, userId, key) : null;
    if (placedMeanwhile) return replay(deps, placedMeanwhile, hash, card);
    throw outOfStock(turn.shortages);
  }
  try {
    return await placeAndStart(deps, { userId, key, hash, card, lines, items }, turn.release, answerBy);
  } catch (error) {
    turn.release();
    throw error;
  }
}

/** The placing transaction, then the saga up to its reservation's answer (see placeOrder). */
async function placeAndStart(
  deps: CheckoutDeps,
  { userId, key, hash, card, lines, items }: PlacementInput,
  release: () => void,
  answerBy: number | null,
): Promise<OrderRecord> {
  const { prisma } = deps;
  const orderId = randomUUID();
  const now = new Date();
  const placed = orderEvent(
    'OrderPlaced',
    {
      orderId,
      userId,
      currency: items[0]!.currency,
      totalCents: items.reduce((sum, i) => sum + i.quantity * i.unitPriceCents, 0),
      items: items.map(({ currency: _currency, ...item }) => item),
      checkout: { deadline: new Date(now.getTime() + deps.saga.deadlineMs).toISOString() },
    },
    now,
  );
  const view = await prisma.$transaction(async (tx) => {
    const keyRow = { userId, key, requestHash: hash, orderId };
    let { count } = await tx.idempotencyKey.createMany({ data: [keyRow], skipDuplicates: true });
    if (count === 0) {
      // Taken: by a live key (another call won; replay it) or an expired one, which gives way.
      const expired = await tx.idempotencyKey.deleteMany({ where: { userId, key, createdAt: { lt: expiryCutoff() } } });
      if (expired.count === 0) return null;
      ({ count } = await tx.idempotencyKey.createMany({ data: [keyRow], skipDuplicates: true }));
      if (count === 0) return null;
    }
    // The key first: a call with the same key waits on it here and replays, never on the cart lock.
    const ordered = await lockedLines(tx, userId, lines);
    const stored = await appendToStream(tx, orderId, 0, [
      placed,
      orderEvent('SagaStepStarted', { step: 'RESERVE_STOCK', attempt: 1 }, now),
    ]);
    const next = fold(orderId, stored);
    await projectChange(tx, emptyStream(orderId), next);
    await takeLease(tx, orderId, deps.runner.owner, deps.saga.leaseMs);
    const removed = await tx.cartItem.deleteMany({
      where: { userId, productId: { in: ordered.map((l) => l.productId) } },
    });
    if (removed.count !== ordered.length) throw cartChanged([]);
    return next;
  }, TX_OPTIONS);
  if (!view?.order) {
    release(); // nothing reserved for this call: another call with its key placed the order
    const winner = await findIdempotencyKey(prisma, userId, key);
    if (!winner) throw new Error(`Idempotency key of user ${userId} conflicted but has no live row`);
    return replay(deps, winner, hash, card);
  }
  deps.logger.info({ orderId, userId, totalCents: view.order.totalCents }, 'order placed; checkout saga started');
  deps.runner.metrics?.started('CHECKOUT');
  await startSaga(deps, view, card, release, answerBy);
  // The row just projected, as the read model holds it.
  return view.order;
}
