import type { Client } from '../auth/index.ts';
import type { RedisConnection } from '../redis/index.ts';
import type { Cluster, Redis } from 'ioredis';
import {
  assertSpends,
  memoryBudgetStore,
  redisBudgetStore,
  type BudgetStore,
  type Spend,
  type SpendOutcome,
} from './budgetStore.ts';
import type { OperationKind, RateLimitBudget, RateLimitConfig } from './config.ts';
import type { SchemaFieldLimit } from './directive.ts';

/** Who spends a budget: the verified user, else (anonymous) the client's IP address. */
export type RateLimitSubject = { userId: string } | { ip: string };

/** A budget after one decision; `extensions.rateLimit` and `Query.rateLimit` show it. */
export interface RateLimitStatus {
  limit: number;
  cost: number;
  remaining: number;
  resetAt: Date;
}

/** What one operation asks of the budgets. */
export interface OperationUse {
  kind: OperationKind;
  /** Points for the operation's budget: its static cost (a query) or its root fields (a mutation). */
  cost: number;
  /** How many times it selects each watched field (`RateLimiter.watchedFields`), by schema coordinate. */
  fields: ReadonlyMap<string, number>;
  /** 1 when the request registers an automatic persisted query: spent from the registration budget. */
  registrations?: number;
}

/** The name the registration budget goes by in `Admission.fields` and `refusedBy`. */
export const REGISTRATIONS = 'persistedQueryRegistrations';

export type Admission =
  | { admitted: true; status: RateLimitStatus; fields: Record<string, RateLimitStatus> }
  | {
      admitted: false;
      status: RateLimitStatus;
      fields: Record<string, RateLimitStatus>;
      /** The budget that refused: the operation kind, or a field's coordinate. */
      refusedBy: string;
      retryAfterSeconds: number;
    };

/** An operation selecting a fail-closed field while Redis cannot decide: it must not run. */
export class RateLimitUnavailableError extends Error {
  constructor(
    readonly field: string,
    options: { cause: unknown },
  ) {
    super(`Budgets cannot be checked for ${field}`, options);
    this.name = 'RateLimitUnavailableError';
  }
}

export interface RateLimiter {
  /** Fields whose occurrences an admission needs: those with a budget of their own, and those failing closed. */
  readonly watchedFields: ReadonlySet<string>;
  /**
   * Spends the operation's budget and each selected field's budget in one atomic decision (one Lua
   * script on Redis): all are spent or, when one cannot take its points, none is. Throws
   * RateLimitUnavailableError for an operation selecting a fail-closed field while Redis is unreachable.
   */
  admit(subject: RateLimitSubject, use: OperationUse): Promise<Admission>;
  /** The operation budget as it stands, spending nothing. */
  peek(subject: RateLimitSubject, kind: OperationKind): Promise<RateLimitStatus>;
  /**
   * Spends as `admit` does, but in a script of the caller's (`run`, given the spends and the Redis
   * client) that reads other keys in the same round trip, and may decide to spend nothing (outcome
   * null). Null, without calling `run`, when budgets are not on a Redis that answers: the caller
   * then takes the ordinary path (`admit`, with its insurance and fail-closed rules).
   */
  admitAlong<T>(
    subject: RateLimitSubject,
    use: OperationUse,
    run: (spends: Spend[], client: Redis | Cluster) => Promise<{ outcome: SpendOutcome | null; extra: T }>,
  ): Promise<{ admission: Admission | null; extra: T } | null>;
}

/**
 * The hash tag (`{user:42}`) puts every key of one subject in one Cluster slot, so the same code runs
 * on one Redis or a Cluster, and one script can spend several budgets of one subject; the user id
 * comes from a verified token, the IP from the socket.
 */
export function subjectKey(subject: RateLimitSubject): string {
  return 'userId' in subject ? `{user:${subject.userId}}` : `{ip:${subject.ip}}`;
}

/** A field budget: this client's (profile, env) or the schema's (`@rateLimit`, shared by every gateway). */
interface FieldRule {
  field: string;
  keyPrefix: string;
  budget: RateLimitBudget;
}

interface Charge {
  /** The operation kind, or a field's coordinate. */
  name: string;
  key: string;
  points: number;
  budget: RateLimitBudget;
}

function statusOf(charge: Charge, limit: number, outcome: SpendOutcome, index: number, at: number): RateLimitStatus {
  const state = outcome.states[index]!;
  return {
    limit: charge.budget.points,
    cost: charge.points,
    // Never below 0 nor above the limit, whatever a store answers.
    remaining: Math.min(limit, Math.max(0, limit - state.used)),
    resetAt: new Date(at + state.msLeft),
  };
}

/**
 * The gateway's limiter for one client (web or mobile). Keys: `rl:<client>:<kind>` for operation
 * budgets, `rl:<client>:field:<coordinate>` for the client's field budgets, `rl:schema:<coordinate>`
 * for `@rateLimit` budgets (one per user across clients, as the schema declares it), each followed
 * by the subject's hash tag.
 */
export function createRateLimiter(
  config: RateLimitConfig,
  connection: RedisConnection,
  client: Client,
  schemaLimits: ReadonlyMap<string, SchemaFieldLimit> = new Map(),
): RateLimiter {
  const prefix = `${connection.keyPrefix}rl:`;
  const rules: FieldRule[] = [
    ...Object.entries(config.budgets.fields ?? {}).map(([field, budget]) => ({
      field,
      keyPrefix: `${prefix}${client}:field:${field}:`,
      budget,
    })),
    ...[...schemaLimits].map(([field, limit]) => ({
      field,
      keyPrefix: `${prefix}schema:${field}:`,
      budget: limit.budget,
    })),
  ];
  const failClosed = new Set([
    ...(config.failClosedFields ?? []),
    ...[...schemaLimits].filter(([, limit]) => limit.failClosed).map(([field]) => field),
  ]);
  const watchedFields = new Set([...rules.map((r) => r.field), ...failClosed]);
  const primary: BudgetStore = connection.client ? redisBudgetStore(connection.client) : memoryBudgetStore();
  const insurance: BudgetStore | null = connection.client ? memoryBudgetStore() : null;
  const insuredLimit = (points: number) => Math.max(1, Math.floor(points / config.replicas));

  /** One decision over `charges`: on Redis when it answers, else (unless `failClosedField`) on the insurance. */
  async function decide(
    charges: Charge[],
    failClosedField: string | undefined,
  ): Promise<{ outcome: SpendOutcome; limits: number[] }> {
    const spends = (limits: number[]): Spend[] =>
      charges.map((c, i) => ({
        key: c.key,
        points: c.points,
        limit: limits[i]!,
        windowMs: c.budget.windowSeconds * 1000,
      }));
    const full = charges.map((c) => c.budget.points);
    if (!insurance) return { outcome: await primary.spend(spends(full)), limits: full };
    try {
      // Not connected: fail over at once rather than wait for a command to fail.
      if (!connection.isReady()) throw new Error(`Redis is not ready (${connection.readiness()})`);
      return { outcome: await primary.spend(spends(full)), limits: full };
    } catch (error) {
      if (failClosedField) throw new RateLimitUnavailableError(failClosedField, { cause: error });
      const insured = full.map(insuredLimit);
      return { outcome: await insurance.spend(spends(insured)), limits: insured };
    }
  }

  function operationCharge(subject: RateLimitSubject, kind: OperationKind, points: number): Charge {
    return {
      name: kind,
      key: `${prefix}${client}:${kind}:${subjectKey(subject)}`,
      points,
      budget: config.budgets[kind],
    };
  }

  /** The budgets one operation spends from, the operation's first. */
  function chargesOf(subject: RateLimitSubject, use: OperationUse): Charge[] {
    const charges = [operationCharge(subject, use.kind, use.cost)];
    if (use.registrations && config.budgets.registrations)
      charges.push({
        name: REGISTRATIONS,
        key: `${prefix}${client}:apq:${subjectKey(subject)}`,
        points: use.registrations,
        budget: config.budgets.registrations,
      });
    for (const rule of rules) {
      const count = use.fields.get(rule.field) ?? 0;
      if (count > 0)
        charges.push({
          name: rule.field,
          key: `${rule.keyPrefix}${subjectKey(subject)}`,
          points: count,
          budget: rule.budget,
        });
    }
    return charges;
  }

  /** The admission a decision over `charges` stands for. */
  function admissionOf(charges: Charge[], limits: number[], outcome: SpendOutcome, at: number): Admission {
    const status = statusOf(charges[0]!, limits[0]!, outcome, 0, at);
    const fields: Record<string, RateLimitStatus> = {};
    charges.forEach((charge, i) => {
      if (i === 0) return;
      const fieldStatus = statusOf(charge, limits[i]!, outcome, i, at);
      // A field with both a client and a schema budget shows the tighter one.
      const shown = fields[charge.name];
      if (!shown || fieldStatus.remaining < shown.remaining || outcome.refused === i) fields[charge.name] = fieldStatus;
    });
    if (outcome.refused === null) return { admitted: true, status, fields };
    const refused = charges[outcome.refused]!;
    const retryAfterSeconds = Math.max(1, Math.ceil(outcome.states[outcome.refused]!.msLeft / 1000));
    return { admitted: false, status, fields, refusedBy: refused.name, retryAfterSeconds };
  }

  return {
    watchedFields,
    async admit(subject, use) {
      const charges = chargesOf(subject, use);
      const failClosedField = [...use.fields].find(([field, count]) => count > 0 && failClosed.has(field))?.[0];
      const at = Date.now();
      const { outcome, limits } = await decide(charges, failClosedField);
      return admissionOf(charges, limits, outcome, at);
    },
    async admitAlong(subject, use, run) {
      // Only on Redis while it answers: the insurance and fail-closed decisions stay with `admit`.
      if (!connection.client || !connection.isReady()) return null;
      const charges = chargesOf(subject, use);
      const full = charges.map((c) => c.budget.points);
      const spends = charges.map((c) => ({
        key: c.key,
        points: c.points,
        limit: c.budget.points,
        windowMs: c.budget.windowSeconds * 1000,
      }));
      assertSpends(spends);
      const at = Date.now();
      const { outcome, extra } = await run(spends, connection.client);
      return { admission: outcome ? admissionOf(charges, full, outcome, at) : null, extra };
    },
    async peek(subject, kind) {
      const charge = operationCharge(subject, kind, 0);
      const at = Date.now();
      const { outcome, limits } = await decide([charge], undefined);
      return statusOf(charge, limits[0]!, outcome, 0, at);
    },
  };
}
