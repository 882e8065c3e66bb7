// The checker's rules on hand-made snapshots: the drift real services cannot be made to produce
// (a double charge the unique constraint forbids, negative stock the guarded UPDATE forbids), the
// other order outcomes, and what must not be reported (sagas still running, records too young).
import { describe, expect, it } from 'vitest';
import { findDrift } from './check.ts';
import type { HoldRow, OrderRow, PaymentRow, Snapshot } from './snapshot.ts';

const NOW = new Date('2026-03-01T12:00:00Z');
const OPTIONS = { now: NOW, deadlineMs: 30_000, graceMs: 60_000 };
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const P = '00000000-0000-4000-8000-0000000000aa';
let n = 0;
const id = () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;

function order(status: string, checkoutState = 'SUCCEEDED', more: Partial<OrderRow> = {}): OrderRow {
  const orderId = id();
  return {
    id: orderId,
    userId: id(),
    status,
    totalCents: 1000,
    currency: 'USD',
    updatedAt: ago(120_000),
    items: [{ productId: P, quantity: 2 }],
    checkout: { id: orderId, state: checkoutState, createdAt: ago(120_000), deadline: ago(90_000) },
    cancellations: [],
    ...more,
  };
}
const hold = (o: OrderRow, status: string, more: Partial<HoldRow> = {}): HoldRow => ({
  sagaId: o.id,
  status,
  createdAt: ago(120_000),
  lines: [{ productId: P, quantity: 2 }],
  ...more,
});
const payment = (o: OrderRow, status: string, more: Partial<PaymentRow> = {}): PaymentRow => ({
  id: id(),
  sagaId: o.id,
  orderId: o.id,
  userId: o.userId,
  status,
  amountCents: 1000,
  currency: 'USD',
  createdAt: ago(120_000),
  ...more,
});
const snapshot = (s: Partial<Snapshot>): Snapshot => ({
  orders: [],
  holds: [],
  payments: [],
  stock: [],
  unrecordedCaptures: [],
  ...s,
});
const kinds = (s: Snapshot) => findDrift(s, OPTIONS).map((f) => [f.kind, f.found, f.repair?.action ?? null]);

describe('findDrift', () => {
  it('accepts every settled outcome the saga leaves', () => {
    const confirmed = order('DELIVERED');
    const cancelled = order('CANCELLED', 'SUCCEEDED', {
      cancellations: [{ id: id(), state: 'SUCCEEDED', createdAt: ago(100_000) }],
    });
    const declined = order('FAILED', 'COMPENSATED');
    const voided = order('FAILED', 'COMPENSATED');
    const imported = order('CONFIRMED', 'SUCCEEDED', { checkout: null });
    const s = snapshot({
      orders: [confirmed, cancelled, declined, voided, imported],
      holds: [
        hold(confirmed, 'COMMITTED'),
        hold(cancelled, 'RETURNED'),
        hold(declined, 'RELEASED'),
        hold(voided, 'REJECTED'),
      ],
      payments: [
        payment(confirmed, 'CAPTURED'),
        payment(cancelled, 'REFUNDED'),
        payment(declined, 'DECLINED'),
        payment(imported, 'CAPTURED'),
      ],
      stock: [{ productId: P, onHand: 10, reserved: 0, heldUnits: 0 }],
    });
    expect(findDrift(s, OPTIONS)).toEqual([]);
  });

  it('reports a confirmed order whose hold is uncommitted or whose lines or charge differ', () => {
    const held = order('CONFIRMED');
    const wrongLines = order('CONFIRMED');
    const wrongAmount = order('CONFIRMED');
    const unpaid = order('CONFIRMED');
    const s = snapshot({
      orders: [held, wrongLines, wrongAmount, unpaid],
      holds: [
        hold(held, 'HELD'),
        hold(wrongLines, 'COMMITTED', { lines: [{ productId: P, quantity: 3 }] }),
        hold(wrongAmount, 'COMMITTED'),
        hold(unpaid, 'COMMITTED'),
      ],
      payments: [
        payment(held, 'CAPTURED'),
        payment(wrongLines, 'CAPTURED'),
        payment(wrongAmount, 'CAPTURED', { amountCents: 999 }),
        payment(unpaid, 'DECLINED'),
      ],
      stock: [{ productId: P, onHand: 10, reserved: 2, heldUnits: 2 }],
    });
    expect(kinds(s)).toEqual([
      ['uncommitted_hold', `HELD (${P} x2)`, 'commitStock'],
      ['hold_mismatch', `COMMITTED with ${P} x3`, null],
      ['payment_mismatch', 'CAPTURED 999 USD', null],
      ['payment_mismatch', 'DECLINED 1000 USD', null],
    ]);
  });

  it("reports a cancelled order still charged and holding its stock, with the cancellation's own repairs", () => {
    const cancelled = order('CANCELLED', 'SUCCEEDED', {
      cancellations: [{ id: id(), state: 'SUCCEEDED', createdAt: ago(100_000) }],
    });
    const s = snapshot({
      orders: [cancelled],
      holds: [hold(cancelled, 'COMMITTED')],
      payments: [payment(cancelled, 'CAPTURED')],
    });
    expect(kinds(s)).toEqual([
      ['hold_mismatch', `COMMITTED (${P} x2)`, 'releaseStock'],
      ['orphan_charge', 'CAPTURED 1000 USD', 'refundPayment'],
    ]);
    expect(findDrift(s, OPTIONS)[0]?.repair?.succeedsWith).toEqual(['RETURNED']);
  });

  it('reports two captured payments for one order as a double charge', () => {
    const confirmed = order('CONFIRMED');
    const s = snapshot({
      orders: [confirmed],
      holds: [hold(confirmed, 'COMMITTED')],
      payments: [payment(confirmed, 'CAPTURED'), payment(confirmed, 'CAPTURED', { sagaId: id() })],
    });
    expect(findDrift(s, OPTIONS).map((f) => [f.kind, f.repair])).toEqual([['double_charge', null]]);
  });

  it('reports holds and charges orders does not know only once older than the deadline and its grace', () => {
    const ghost = order('FAILED');
    const young = order('FAILED');
    const s = snapshot({
      holds: [hold(ghost, 'HELD'), hold(young, 'HELD', { createdAt: ago(60_000) }), hold(order('FAILED'), 'RELEASED')],
      payments: [payment(ghost, 'CAPTURED'), payment(young, 'CAPTURED', { createdAt: ago(60_000) })],
      stock: [{ productId: P, onHand: 10, reserved: 4, heldUnits: 4 }],
    });
    expect(findDrift(s, OPTIONS).map((f) => [f.kind, f.subject, f.repair?.action])).toEqual([
      ['leaked_reservation', `saga ${ghost.id} (unknown to orders)`, 'releaseStock'],
      ['orphan_charge', `saga ${ghost.id} (order ${ghost.id} unknown to orders)`, 'refundPayment'],
    ]);
  });

  it('leaves running sagas alone until their deadline and grace have passed, then reports them for the recovery worker', () => {
    const running = order('PENDING', 'RUNNING', {
      checkout: { id: 'x', state: 'RUNNING', createdAt: ago(50_000), deadline: ago(20_000) },
    });
    const overdue = order('PENDING', 'COMPENSATING');
    const cancelling = order('CONFIRMED', 'SUCCEEDED', {
      cancellations: [{ id: id(), state: 'RUNNING', createdAt: ago(200_000) }],
    });
    const s = snapshot({
      orders: [running, overdue, cancelling],
      holds: [hold(running, 'HELD'), hold(overdue, 'HELD'), hold(cancelling, 'RETURNED')],
      payments: [payment(cancelling, 'REFUNDED')],
      stock: [{ productId: P, onHand: 10, reserved: 4, heldUnits: 4 }],
    });
    const findings = findDrift(s, OPTIONS);
    expect(findings.map((f) => [f.kind, f.found, f.repair])).toEqual([
      ['saga_overdue', 'COMPENSATING', null],
      ['saga_overdue', 'RUNNING', null],
    ]);
    expect(findings[0]?.manual).toMatch(/^left to the recovery worker/);
  });

  it('reports a capture only the processor knows: refund when the order failed or is unknown, left to recovery while its saga runs overdue', () => {
    const failed = order('FAILED', 'COMPENSATED');
    const overdue = order('PENDING', 'COMPENSATING');
    const running = order('PENDING', 'RUNNING', {
      checkout: { id: 'x', state: 'RUNNING', createdAt: ago(10_000), deadline: new Date(NOW.getTime() + 20_000) },
    });
    const ghost = id();
    const capture = (orderId: string, since = ago(120_000)) => ({
      sagaId: orderId,
      orderId,
      amountCents: 1000,
      currency: 'USD',
      since,
    });
    const s = snapshot({
      orders: [failed, overdue, running],
      holds: [hold(failed, 'RELEASED'), hold(overdue, 'RELEASED'), hold(running, 'HELD')],
      stock: [{ productId: P, onHand: 10, reserved: 2, heldUnits: 2 }],
      unrecordedCaptures: [
        capture(failed.id),
        capture(overdue.id),
        capture(running.id),
        capture(ghost),
        capture(id(), ago(1_000)),
      ],
    });
    expect(findDrift(s, OPTIONS).map((f) => [f.kind, f.subject, f.found, f.repair?.action ?? f.manual])).toEqual([
      [
        'saga_overdue',
        `saga ${overdue.id} (CHECKOUT, order PENDING)`,
        'COMPENSATING',
        expect.stringMatching(/^left to the recovery worker/),
      ],
      [
        'unrecorded_capture',
        `saga ${failed.id} (order FAILED)`,
        'processor CAPTURED 1000 USD, no payment recorded',
        'refundPayment',
      ],
      [
        'unrecorded_capture',
        `saga ${overdue.id} (order PENDING)`,
        'processor CAPTURED 1000 USD, no payment recorded',
        expect.stringMatching(/^left to the recovery worker/),
      ],
      [
        'unrecorded_capture',
        `saga ${ghost} (order ${ghost} unknown to orders)`,
        'processor CAPTURED 1000 USD, no payment recorded',
        'refundPayment',
      ],
    ]);
  });

  it('reports reserved counters that disagree with the held units, and negative stock, as report-only', () => {
    const s = snapshot({
      stock: [
        { productId: P, onHand: 5, reserved: 3, heldUnits: 2 },
        { productId: id(), onHand: 1, reserved: 2, heldUnits: 2 },
        { productId: id(), onHand: null, reserved: null, heldUnits: 1 },
      ],
    });
    expect(findDrift(s, OPTIONS).map((f) => [f.kind, f.expected, f.found, f.repair])).toEqual([
      ['reserved_drift', 'reserved 2 (units in HELD holds)', 'reserved 3', null],
      ['negative_stock', 'onHand >= reserved >= 0', 'onHand 1, reserved 2', null],
      ['reserved_drift', 'reserved 1 (units in HELD holds)', 'no stock row', null],
    ]);
  });
});
