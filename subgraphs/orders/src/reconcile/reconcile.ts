import type { RawQuerier } from '../../../../lib/db/index.ts';
import { describeServiceFailure } from '../../../../lib/serviceClient/index.ts';
import { findDrift, fingerprint, type CheckOptions, type Finding, type RepairPlan } from './check.ts';
import {
  readHolds,
  readOrders,
  readPayments,
  readStock,
  readUnrecordedCaptures,
  type CaptureListing,
} from './snapshot.ts';

/** The provider step mutations a repair may call; each answers the record's state after the call. */
export interface RepairProviders {
  releaseStock(sagaId: string, reason: string): Promise<string>;
  commitStock(sagaId: string): Promise<string>;
  refundPayment(sagaId: string, reason: string): Promise<string>;
}

export interface ReconcileDeps {
  orders: RawQuerier;
  inventory: RawQuerier;
  payments: RawQuerier;
  /** The card processor's API: what it captured for sagas the payments database shows no payment for. */
  processor: CaptureListing;
  /** Given with `repair`: the services' own APIs, the only way a repair changes anything. */
  providers?: RepairProviders;
}

export interface ReconcileOptions extends CheckOptions {
  repair: boolean;
}

export type RepairOutcome = { status: 'repaired' | 'failed'; detail: string };

export interface ReportedFinding extends Finding {
  outcome: RepairOutcome | null;
}

export interface ReconcileReport {
  checked: { orders: number; holds: number; payments: number; products: number };
  findings: ReportedFinding[];
  /** No drift left: none found, or every one repaired. */
  consistent: boolean;
}

async function runRepair(plan: RepairPlan, providers: RepairProviders): Promise<RepairOutcome> {
  const service = plan.action === 'refundPayment' ? 'payments' : 'inventory';
  try {
    const state =
      plan.action === 'releaseStock'
        ? await providers.releaseStock(plan.sagaId, plan.reason)
        : plan.action === 'commitStock'
          ? await providers.commitStock(plan.sagaId)
          : await providers.refundPayment(plan.sagaId, plan.reason);
    return { status: plan.succeedsWith.includes(state) ? 'repaired' : 'failed', detail: `${plan.action} -> ${state}` };
  } catch (error) {
    return { status: 'failed', detail: `${plan.action}: ${describeServiceFailure(service, error)}` };
  }
}

/**
 * Reads the three databases (and asks the card processor about charges payments has no record of), finds the drift, and with `repair` fixes what it can through the
 * services' own step mutations. Orders is read first and again after the providers: a finding about
 * an order that moved in between (a saga or a cancellation still running) is dropped, since the
 * providers' records were read mid-change; the next run sees it settled.
 */
export async function reconcile(deps: ReconcileDeps, options: ReconcileOptions): Promise<ReconcileReport> {
  const orders = await readOrders(deps.orders);
  const [holds, stock] = [await readHolds(deps.inventory), await readStock(deps.inventory)];
  const payments = await readPayments(deps.payments);
  const unrecordedCaptures = await readUnrecordedCaptures(deps.payments, deps.processor);
  const found = findDrift({ orders, holds, stock, payments, unrecordedCaptures }, options);

  const suspects = [...new Set(found.flatMap((f) => (f.orderId ? [f.orderId] : [])))];
  const before = new Map(orders.map((o) => [o.id, fingerprint(o)]));
  const after = new Map(
    (suspects.length ? await readOrders(deps.orders, suspects) : []).map((o) => [o.id, fingerprint(o)]),
  );
  const stable = found.filter(
    (f) => !f.orderId || (before.get(f.orderId) ?? 'absent') === (after.get(f.orderId) ?? 'absent'),
  );

  if (options.repair && !deps.providers) throw new Error('repair needs the inventory and payments clients');
  const findings: ReportedFinding[] = [];
  for (const finding of stable) {
    const outcome =
      options.repair && deps.providers && finding.repair ? await runRepair(finding.repair, deps.providers) : null;
    findings.push({ ...finding, outcome });
  }
  return {
    checked: { orders: orders.length, holds: holds.length, payments: payments.length, products: stock.length },
    findings,
    consistent: findings.every((f) => f.outcome?.status === 'repaired'),
  };
}

function repairText(f: ReportedFinding): string {
  if (f.outcome) return `repair: ${f.outcome.status === 'repaired' ? 'done' : 'FAILED'}, ${f.outcome.detail}`;
  if (f.repair) return `repair: ${f.repair.action}(${f.repair.sagaId}) pending (run with --repair)`;
  return `repair: none, ${f.manual ?? 'report only'}`;
}

/** One line per finding (kind, subject, expected, found, repair), after a summary line. */
export function formatReport(report: ReconcileReport): string {
  const { orders, holds, payments, products } = report.checked;
  const repaired = report.findings.filter((f) => f.outcome?.status === 'repaired').length;
  const summary = `reconcile: ${orders} orders, ${holds} stock holds, ${payments} payments, ${products} stock rows checked: ${
    report.findings.length === 0
      ? 'consistent'
      : `${report.findings.length} finding(s), ${repaired} repaired${report.consistent ? '' : ', drift remains'}`
  }`;
  return [
    summary,
    ...report.findings.map((f) => `${f.kind} ${f.subject}: expected ${f.expected}; found ${f.found}; ${repairText(f)}`),
  ].join('\n');
}
