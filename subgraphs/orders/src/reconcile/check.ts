import type { HoldRow, Line, OrderRow, PaymentRow, Snapshot, StockRow, UnrecordedCapture } from './snapshot.ts';

export type FindingKind =
  | 'hold_mismatch'
  | 'uncommitted_hold'
  | 'leaked_reservation'
  | 'payment_mismatch'
  | 'orphan_charge'
  | 'double_charge'
  | 'unrecorded_capture'
  | 'reserved_drift'
  | 'negative_stock'
  | 'saga_overdue';

/** A repair through the owning service's own step mutation, and the states that mean it worked. */
export interface RepairPlan {
  action: 'releaseStock' | 'commitStock' | 'refundPayment';
  sagaId: string;
  reason: string;
  succeedsWith: readonly string[];
}

export interface Finding {
  kind: FindingKind;
  /** What the finding is about: `saga <id>`, `order <id>` or `product <id>`. */
  subject: string;
  expected: string;
  found: string;
  /** The repair the checker may take; null when it leaves it to someone else (`manual` says who and why). */
  repair: RepairPlan | null;
  manual: string | null;
  /** The order the finding is about, if any: re-read before reporting, to drop one that was still moving. */
  orderId: string | null;
}

export interface CheckOptions {
  now: Date;
  /** The checkout deadline: a provider record unknown to orders is only foreign once older than this. */
  deadlineMs: number;
  /** Slack past a deadline before a saga counts as overdue (the recovery worker's rounds, clock skew). */
  graceMs: number;
}

const TERMINAL = new Set(['SUCCEEDED', 'COMPENSATED']);
const CONFIRMED_LIKE = new Set(['CONFIRMED', 'SHIPPED', 'DELIVERED']);
const REPAIR_REASON = 'reconciliation';

/** Per status of a settled order: the hold and payment states that agree with it ('none': no record). */
const EXPECTED: Record<'CONFIRMED' | 'FAILED' | 'CANCELLED', { hold: readonly string[]; payment: readonly string[] }> =
  {
    CONFIRMED: { hold: ['COMMITTED'], payment: ['CAPTURED'] },
    FAILED: { hold: ['none', 'REJECTED', 'RELEASED'], payment: ['none', 'DECLINED', 'VOIDED', 'REFUNDED'] },
    CANCELLED: { hold: ['RETURNED'], payment: ['REFUNDED'] },
  };

const REPORT_ONLY_RESERVED =
  "report only: the counter is inventory's own and changes only with a hold's transition; no inventory operation sets it, and the checker never writes another service's tables (an inventory operator corrects it after finding the cause)";

function describeLines(lines: readonly Line[]): string {
  return lines.map((l) => `${l.productId} x${l.quantity}`).join(', ') || 'no lines';
}

function sameLines(a: readonly Line[], b: readonly Line[]): boolean {
  const sum = (lines: readonly Line[]) => {
    const m = new Map<string, number>();
    for (const l of lines) m.set(l.productId, (m.get(l.productId) ?? 0) + l.quantity);
    return m;
  };
  const [x, y] = [sum(a), sum(b)];
  return x.size === y.size && [...x].every(([id, q]) => y.get(id) === q);
}

function settled(order: OrderRow): boolean {
  return (
    (!order.checkout || TERMINAL.has(order.checkout.state)) && order.cancellations.every((s) => TERMINAL.has(s.state))
  );
}

function expectationOf(order: OrderRow): keyof typeof EXPECTED | null {
  if (CONFIRMED_LIKE.has(order.status)) return 'CONFIRMED';
  if (order.status === 'FAILED' || order.status === 'CANCELLED') return order.status;
  return null;
}

function checkHold(order: OrderRow, hold: HoldRow | undefined, expectation: keyof typeof EXPECTED): Finding | null {
  const allowed = EXPECTED[expectation].hold;
  const status = hold?.status ?? 'none';
  const subject = `saga ${order.id} (order ${order.status})`;
  const base = { subject, orderId: order.id, expected: `hold ${allowed.join('/')}` };
  if (allowed.includes(status)) {
    if (expectation !== 'CONFIRMED' || !hold || sameLines(hold.lines, order.items)) return null;
    return {
      ...base,
      kind: 'hold_mismatch',
      expected: `hold COMMITTED with ${describeLines(order.items)}`,
      found: `COMMITTED with ${describeLines(hold.lines)}`,
      repair: null,
      manual: 'the units committed differ from the order: an inventory operator adjusts the stock',
    };
  }
  const found = hold ? `${status} (${describeLines(hold.lines)})` : 'none';
  if (status === 'HELD' && expectation === 'CONFIRMED') {
    return {
      ...base,
      kind: 'uncommitted_hold',
      found,
      repair: { action: 'commitStock', sagaId: order.id, reason: REPAIR_REASON, succeedsWith: ['COMMITTED'] },
      manual: null,
    };
  }
  if (status === 'HELD' && expectation === 'FAILED') {
    return {
      ...base,
      kind: 'leaked_reservation',
      found,
      repair: {
        action: 'releaseStock',
        sagaId: order.id,
        reason: `${REPAIR_REASON}: order ${order.status}`,
        succeedsWith: ['RELEASED'],
      },
      manual: null,
    };
  }
  if (status === 'COMMITTED' && expectation === 'CANCELLED') {
    // What the cancellation's own RELEASE_STOCK step does: the sold units go back on hand.
    return {
      ...base,
      kind: 'hold_mismatch',
      found,
      repair: {
        action: 'releaseStock',
        sagaId: order.id,
        reason: `${REPAIR_REASON}: order CANCELLED`,
        succeedsWith: ['RETURNED'],
      },
      manual: null,
    };
  }
  return {
    ...base,
    kind: 'hold_mismatch',
    found,
    repair: null,
    manual: 'no step of the saga leads here: investigate before changing stock',
  };
}

function checkPayments(
  order: OrderRow,
  payments: readonly PaymentRow[],
  expectation: keyof typeof EXPECTED,
): Finding[] {
  const allowed = EXPECTED[expectation].payment;
  const subject = `saga ${order.id} (order ${order.status})`;
  const base = { subject, orderId: order.id };
  const captured = payments.filter((p) => p.status === 'CAPTURED');
  const findings: Finding[] = [];
  if (captured.length > 1) {
    findings.push({
      ...base,
      kind: 'double_charge',
      expected: 'at most one CAPTURED payment',
      found: `${captured.length} CAPTURED: ${captured.map((p) => `${p.id} ${p.amountCents} ${p.currency}`).join(', ')}`,
      repair: null,
      manual: 'refund the extra charge by hand after checking with the processor',
    });
  }
  const [payment, ...others] = payments;
  if (others.length > 0 && captured.length <= 1) {
    findings.push({
      ...base,
      kind: 'payment_mismatch',
      expected: 'one payment',
      found: `${payments.length} payments (${payments.map((p) => p.status).join(', ')})`,
      repair: null,
      manual: 'the unique order id in payments should forbid this: investigate',
    });
  }
  const status = payment?.status ?? 'none';
  if (!allowed.includes(status)) {
    const found = payment ? `${status} ${payment.amountCents} ${payment.currency}` : 'none';
    if (status === 'CAPTURED') {
      findings.push({
        ...base,
        kind: 'orphan_charge',
        expected: `payment ${allowed.join('/')}`,
        found,
        repair: {
          action: 'refundPayment',
          sagaId: payment?.sagaId ?? order.id,
          reason: `${REPAIR_REASON}: order ${order.status}`,
          succeedsWith: ['REFUNDED'],
        },
        manual: null,
      });
    } else {
      findings.push({
        ...base,
        kind: 'payment_mismatch',
        expected: `payment ${allowed.join('/')} for ${order.totalCents} ${order.currency}`,
        found,
        repair: null,
        manual: 'a confirmed order without its charge: collect or cancel it with the customer',
      });
    }
  } else if (
    payment &&
    status === 'CAPTURED' &&
    (payment.amountCents !== order.totalCents || payment.currency !== order.currency)
  ) {
    findings.push({
      ...base,
      kind: 'payment_mismatch',
      expected: `CAPTURED ${order.totalCents} ${order.currency}`,
      found: `CAPTURED ${payment.amountCents} ${payment.currency}`,
      repair: null,
      manual: 'charged a different amount than the order total: settle the difference with the customer',
    });
  }
  return findings;
}

function checkOverdue(order: OrderRow, options: CheckOptions): Finding[] {
  const limit = options.now.getTime() - options.graceMs;
  const manual =
    'left to the recovery worker, which drives and compensates it under its lease; if this persists, check that orders runs its workers';
  const findings: Finding[] = [];
  const checkout = order.checkout;
  if (checkout && !TERMINAL.has(checkout.state) && checkout.deadline && checkout.deadline.getTime() < limit) {
    findings.push({
      kind: 'saga_overdue',
      subject: `saga ${checkout.id} (CHECKOUT, order ${order.status})`,
      orderId: order.id,
      expected: `terminal by ${checkout.deadline.toISOString()}`,
      found: checkout.state,
      repair: null,
      manual,
    });
  }
  for (const saga of order.cancellations) {
    if (TERMINAL.has(saga.state) || saga.createdAt.getTime() + options.deadlineMs >= limit) continue;
    findings.push({
      kind: 'saga_overdue',
      subject: `saga ${saga.id} (CANCELLATION, order ${order.status})`,
      orderId: order.id,
      expected: `terminal within ${options.deadlineMs} ms of ${saga.createdAt.toISOString()}`,
      found: saga.state,
      repair: null,
      manual,
    });
  }
  return findings;
}

function checkStock(row: StockRow): Finding[] {
  const subject = `product ${row.productId}`;
  const findings: Finding[] = [];
  if (row.reserved !== row.heldUnits) {
    findings.push({
      kind: 'reserved_drift',
      subject,
      orderId: null,
      expected: `reserved ${row.heldUnits} (units in HELD holds)`,
      found: row.reserved === null ? 'no stock row' : `reserved ${row.reserved}`,
      repair: null,
      manual: REPORT_ONLY_RESERVED,
    });
  }
  if (
    row.onHand !== null &&
    row.reserved !== null &&
    (row.onHand < 0 || row.reserved < 0 || row.onHand < row.reserved)
  ) {
    findings.push({
      kind: 'negative_stock',
      subject,
      orderId: null,
      expected: 'onHand >= reserved >= 0',
      found: `onHand ${row.onHand}, reserved ${row.reserved}`,
      repair: null,
      manual: 'report only: an inventory operator recounts the stock',
    });
  }
  return findings;
}

/**
 * A capture the processor holds for a saga whose payments database recorded none (the outcome's
 * recording failed, or its caller died after the call). Refunded through payments' refundPayment,
 * which finds it at the processor, once the order failed or was cancelled, or is unknown to orders
 * past the deadline; a saga still running past its deadline is its recovery worker's to compensate.
 */
function checkUnrecordedCapture(
  capture: UnrecordedCapture,
  order: OrderRow | undefined,
  options: CheckOptions,
): Finding | null {
  const found = `processor CAPTURED ${capture.amountCents} ${capture.currency}, no payment recorded`;
  const base = {
    kind: 'unrecorded_capture' as const,
    orderId: capture.orderId,
    expected: 'every capture recorded',
    found,
  };
  const refund: RepairPlan = {
    action: 'refundPayment',
    sagaId: capture.sagaId,
    reason: `${REPAIR_REASON}: capture never recorded`,
    succeedsWith: ['REFUNDED'],
  };
  if (!order) {
    if (capture.since.getTime() >= options.now.getTime() - options.deadlineMs - options.graceMs) return null;
    return {
      ...base,
      subject: `saga ${capture.sagaId} (order ${capture.orderId} unknown to orders)`,
      repair: refund,
      manual: null,
    };
  }
  const subject = `saga ${capture.sagaId} (order ${order.status})`;
  if (!settled(order)) {
    const deadline = order.checkout?.deadline?.getTime();
    if (deadline === undefined || deadline >= options.now.getTime() - options.graceMs) return null;
    const manual =
      "left to the recovery worker: the saga's refund (or its next charge) asks the processor and refunds (or records) it";
    return { ...base, subject, repair: null, manual };
  }
  if (expectationOf(order) === 'CONFIRMED')
    return { ...base, subject, repair: null, manual: 'a confirmed order whose charge was never recorded: investigate' };
  return { ...base, subject, repair: refund, manual: null };
}

/** Every drift between the three snapshots. Pure: the same snapshot always gives the same findings. */
export function findDrift(snapshot: Snapshot, options: CheckOptions): Finding[] {
  const holds = new Map(snapshot.holds.map((h) => [h.sagaId, h]));
  const paymentsByOrder = new Map<string, PaymentRow[]>();
  for (const p of snapshot.payments) paymentsByOrder.set(p.orderId, [...(paymentsByOrder.get(p.orderId) ?? []), p]);
  const orders = new Map(snapshot.orders.map((o) => [o.id, o]));
  const foreignBefore = options.now.getTime() - options.deadlineMs - options.graceMs;
  const findings: Finding[] = [];

  for (const order of snapshot.orders) {
    findings.push(...checkOverdue(order, options));
    const expectation = expectationOf(order);
    if (!settled(order) || !expectation) continue;
    // Orders imported without a saga never held stock through inventory: only their payment is checked.
    if (order.checkout) {
      const hold = checkHold(order, holds.get(order.id), expectation);
      if (hold) findings.push(hold);
    }
    findings.push(...checkPayments(order, paymentsByOrder.get(order.id) ?? [], expectation));
  }

  for (const hold of snapshot.holds) {
    if (orders.has(hold.sagaId) || hold.status !== 'HELD' || hold.createdAt.getTime() >= foreignBefore) continue;
    findings.push({
      kind: 'leaked_reservation',
      subject: `saga ${hold.sagaId} (unknown to orders)`,
      orderId: hold.sagaId,
      expected: 'no hold for a saga orders does not know',
      found: `HELD (${describeLines(hold.lines)}) since ${hold.createdAt.toISOString()}`,
      repair: {
        action: 'releaseStock',
        sagaId: hold.sagaId,
        reason: `${REPAIR_REASON}: saga unknown to orders`,
        succeedsWith: ['RELEASED'],
      },
      manual: null,
    });
  }
  for (const [orderId, payments] of paymentsByOrder) {
    if (orders.has(orderId)) continue;
    for (const p of payments) {
      if (p.status !== 'CAPTURED' || p.createdAt.getTime() >= foreignBefore) continue;
      findings.push({
        kind: 'orphan_charge',
        subject: `saga ${p.sagaId} (order ${orderId} unknown to orders)`,
        orderId,
        expected: 'no charge for an order orders does not know',
        found: `CAPTURED ${p.amountCents} ${p.currency} since ${p.createdAt.toISOString()}`,
        repair: {
          action: 'refundPayment',
          sagaId: p.sagaId,
          reason: `${REPAIR_REASON}: order unknown to orders`,
          succeedsWith: ['REFUNDED'],
        },
        manual: null,
      });
    }
  }
  for (const capture of snapshot.unrecordedCaptures) {
    const finding = checkUnrecordedCapture(capture, orders.get(capture.orderId), options);
    if (finding) findings.push(finding);
  }
  for (const row of snapshot.stock) findings.push(...checkStock(row));
  return findings;
}

/** What an order looked like, to tell whether it moved between two reads. */
export function fingerprint(order: OrderRow | undefined): string {
  if (!order) return 'absent';
  return [
    order.status,
    order.updatedAt.getTime(),
    order.checkout?.state ?? '-',
    ...order.cancellations.map((s) => `${s.id}:${s.state}`).sort(),
  ].join('|');
}
