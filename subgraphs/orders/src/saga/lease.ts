import type { OrdersDb } from '../db.ts';

/** This runner no longer holds the saga's lease: another runner took it over after it expired. */
export class LeaseLost extends Error {
  constructor(readonly sagaId: string) {
    super(`Lost the lease on saga ${sagaId}`);
    this.name = 'LeaseLost';
  }
}

/**
 * Takes (or renews) the lease on a saga for `owner`: one conditional upsert, so of two runners
 * racing only one gets a row back. A lease held by someone else is taken only once it has expired.
 * Times are the database's, so replicas' clocks do not matter.
 */
export async function takeLease(db: OrdersDb, sagaId: string, owner: string, leaseMs: number): Promise<boolean> {
  const rows = await db.$queryRawUnsafe<unknown[]>(
    `INSERT INTO "SagaLease" ("sagaId", "owner", "expiresAt") VALUES ($1::uuid, $2, now() + $3 * interval '1 millisecond')
     ON CONFLICT ("sagaId") DO UPDATE SET "owner" = EXCLUDED."owner", "expiresAt" = EXCLUDED."expiresAt"
     WHERE "SagaLease"."owner" = EXCLUDED."owner" OR "SagaLease"."expiresAt" < now()
     RETURNING "sagaId"`,
    sagaId,
    owner,
    leaseMs,
  );
  return rows.length === 1;
}

/** Renews a lease this owner holds; false when it is no longer this owner's. */
export async function renewLease(db: OrdersDb, sagaId: string, owner: string, leaseMs: number): Promise<boolean> {
  const updated = await db.$executeRawUnsafe(
    `UPDATE "SagaLease" SET "expiresAt" = now() + $3 * interval '1 millisecond' WHERE "sagaId" = $1::uuid AND "owner" = $2`,
    sagaId,
    owner,
    leaseMs,
  );
  return updated === 1;
}

/** Renews every lease in `sagaIds` this owner still holds (the heartbeat): one statement. */
export async function renewLeases(
  db: OrdersDb,
  sagaIds: readonly string[],
  owner: string,
  leaseMs: number,
): Promise<number> {
  if (sagaIds.length === 0) return 0;
  return db.$executeRawUnsafe(
    `UPDATE "SagaLease" SET "expiresAt" = now() + $3 * interval '1 millisecond' WHERE "sagaId" = ANY($1::uuid[]) AND "owner" = $2`,
    [...sagaIds],
    owner,
    leaseMs,
  );
}

export async function releaseLeases(db: OrdersDb, sagaIds: readonly string[], owner: string): Promise<void> {
  if (sagaIds.length === 0) return;
  await db.$executeRawUnsafe(
    `DELETE FROM "SagaLease" WHERE "sagaId" = ANY($1::uuid[]) AND "owner" = $2`,
    [...sagaIds],
    owner,
  );
}

/**
 * Sagas not finished whose lease is free or expired: what a recovery worker should drive, oldest
 * first. Reading them takes nothing: `takeLease` decides who drives each.
 */
export async function sagasWithoutDriver(db: OrdersDb, limit: number): Promise<string[]> {
  const rows = await db.$queryRawUnsafe<Array<{ id: string }>>(
    `SELECT s."id"::text AS "id" FROM "Saga" s LEFT JOIN "SagaLease" l ON l."sagaId" = s."id"
     WHERE s."state" IN ('RUNNING', 'COMPENSATING') AND (l."sagaId" IS NULL OR l."expiresAt" < now())
     ORDER BY s."createdAt" LIMIT $1`,
    limit,
  );
  return rows.map((r) => r.id);
}
