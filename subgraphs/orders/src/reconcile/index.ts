export { findDrift, type CheckOptions, type Finding, type FindingKind, type RepairPlan } from './check.ts';
export { createRepairProviders } from './providers.ts';
export {
  formatReport,
  reconcile,
  type ReconcileDeps,
  type ReconcileOptions,
  type ReconcileReport,
  type RepairProviders,
  type ReportedFinding,
} from './reconcile.ts';
export type { CaptureListing, Snapshot } from './snapshot.ts';
