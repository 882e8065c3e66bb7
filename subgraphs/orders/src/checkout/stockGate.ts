import type { CartItemRecord } from '../db.ts';

/**
 * How long a checkout waits for a turn while no reservation let through here answers before it goes
 * on without one (the reservation decides anyway): a gate that stopped moving is not waited on.
 */
export const STOCK_GATE_WAIT_MS = 5_000;
/**
 * The longest a checkout waits for a turn in all. While reservations keep answering it waits on
 * (a burst on a loaded machine, where the last of them may answer after `STOCK_GATE_WAIT_MS`), each
 * answer gives it `STOCK_GATE_WAIT_MS` more: going on without a turn then would place an order, run
 * a saga and compensate it for a unit that is almost certainly held, and add that load to the burst.
 * Bounded, so the checkout still answers within what a gateway sized for such bursts waits (20 s
 * in the bench); a caller that waits less says so (`x-request-timeout-ms`) and the wait ends sooner
 * (placeOrder.ts).
 */
export const STOCK_GATE_MAX_WAIT_MS = 10_000;

/**
 * Units this process has let through to a reservation that has not answered yet, per product. A
 * checkout whose lines the last stock levels cover, but not once those units are counted, waits
 * for one of those reservations to answer and looks again: under a rush on the last units only as
 * many checkouts as there are units place an order at a time, instead of every buyer that read the
 * level before the first reservation committed (each of which cost an order, a saga and its
 * compensation to be refused). Never a guarantee: the reservation alone decides, other replicas
 * have gates of their own, and a wait that sees no reservation answer for `STOCK_GATE_WAIT_MS`
 * (or lasts `STOCK_GATE_MAX_WAIT_MS`) goes on without a turn.
 */
export class StockGate {
  readonly #pending = new Map<string, number>();
  readonly #waiting = new Set<() => void>();
  #releases = 0;

  /**
   * Releases so far. Levels read while a release happened may predate that reservation's answer
   * (its units not yet counted as reserved, yet no longer pending here): they are not enough to give
   * a turn on, and are read again.
   */
  get releases(): number {
    return this.#releases;
  }

  /**
   * A turn for `lines` when `available` (units per line, in the same order) covers them beside the
   * units already let through: the release to call once the reservation answered (or will not be
   * asked). `'wait'`: they are covered only without the units let through; `'short'`: not at all.
   */
  enter(lines: readonly Pick<CartItemRecord, 'productId' | 'quantity'>[], available: readonly number[]) {
    if (lines.some((line, i) => (available[i] ?? 0) < line.quantity)) return 'short' as const;
    if (lines.some((line, i) => (available[i] ?? 0) - this.pendingOf(line.productId) < line.quantity))
      return 'wait' as const;
    for (const line of lines) this.#pending.set(line.productId, this.pendingOf(line.productId) + line.quantity);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#releases += 1;
      for (const line of lines) {
        const left = this.pendingOf(line.productId) - line.quantity;
        if (left > 0) this.#pending.set(line.productId, left);
        else this.#pending.delete(line.productId);
      }
      const waiting = [...this.#waiting];
      this.#waiting.clear();
      for (const wake of waiting) wake();
    };
  }

  pendingOf(productId: string): number {
    return this.#pending.get(productId) ?? 0;
  }

  /** Resolves at the next release, or after `ms`: true when it was a release. */
  nextRelease(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#waiting.delete(wake);
        resolve(false);
      }, ms);
      this.#waiting.add(wake);
    });
  }
}
