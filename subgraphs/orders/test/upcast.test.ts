// The saga step that calls inventory.commitStock was stored as CONFIRM_ORDER (data version 1 of the
// step events) until it was renamed COMMIT_STOCK. fixtures/order-events-v1.json is a log written by
// that code (a paid checkout later cancelled, a declined one), dumped from the orders database as
// stored: read back, projected and served, it speaks only of COMMIT_STOCK, and the rows stay as written.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Prisma } from '../src/__generated__/prisma/client.ts';
import { readStream } from '../src/eventStore/eventStore.ts';
import { validateEventData } from '../src/eventStore/events.ts';
import { fold } from '../src/readModel/fold.ts';
import { rebuildReadModel } from '../src/readModel/rebuild.ts';
import { decide } from '../src/saga/decide.ts';
import { startOrdersHarness, type OrdersHarness } from './support/harness.ts';

interface FixtureRow {
  streamId: string;
  version: number;
  type: string;
  dataVersion: number;
  data: Record<string, unknown>;
  occurredAt: string;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/order-events-v1.json', import.meta.url), 'utf8')) as {
  paid: string;
  declined: string;
  rows: FixtureRow[];
};
const buyerOf = (orderId: string) =>
  fixture.rows.find((r) => r.streamId === orderId && r.type === 'OrderPlaced')!.data.userId as string;

let h: OrdersHarness;

beforeAll(async () => {
  h = await startOrdersHarness('upcast');
  await h.db.orderEvent.createMany({
    data: fixture.rows.map((row) => ({
      ...row,
      data: row.data as Prisma.InputJsonObject,
      occurredAt: new Date(row.occurredAt),
    })),
  });
  await rebuildReadModel(h.db);
}, 120_000);
afterAll(() => h?.close());

describe('step events of version 1', () => {
  it('are a log of the old name, as the fixture holds it', () => {
    const v1Steps = fixture.rows.filter((r) => r.type.startsWith('SagaStep') && r.dataVersion === 1);
    expect(v1Steps.map((r) => r.data.step)).toContain('CONFIRM_ORDER');
  });

  it('are upcast to COMMIT_STOCK on read, and only the name changes', () => {
    expect(validateEventData('SagaStepStarted', 1, { step: 'CONFIRM_ORDER', attempt: 2 }, 'test')).toEqual({
      step: 'COMMIT_STOCK',
      attempt: 2,
    });
    expect(
      validateEventData(
        'SagaStepFailed',
        1,
        { step: 'CONFIRM_ORDER', error: 'x', final: false, effect: 'unknown' },
        't',
      ),
    ).toEqual({ step: 'COMMIT_STOCK', error: 'x', final: false, effect: 'unknown' });
    expect(validateEventData('SagaStepSucceeded', 1, { step: 'CHARGE_PAYMENT', detail: null }, 't')).toEqual({
      step: 'CHARGE_PAYMENT',
      detail: null,
    });
    // Version 2 knows only the new name: nothing new is written under the old one.
    expect(() => validateEventData('SagaStepStarted', 2, { step: 'CONFIRM_ORDER', attempt: 1 }, 'o@3')).toThrow(
      /Invalid SagaStepStarted v2 at o@3/,
    );
  });

  it('fold into the same sagas, and a runner reading them has nothing left to do', async () => {
    const events = await readStream(h.db, fixture.paid);
    expect(events.filter((e) => e.type.startsWith('SagaStep')).map((e) => (e.data as { step: string }).step)).toEqual(
      expect.arrayContaining(['RESERVE_STOCK', 'CHARGE_PAYMENT', 'COMMIT_STOCK']),
    );
    const view = fold(fixture.paid, events);
    expect(view.saga?.state).toBe('SUCCEEDED');
    expect(decide(view, { now: Date.now(), canCharge: false })).toEqual({ type: 'done' });
  });

  it('are served as COMMIT_STOCK, the orders as they ended, and stay stored as written', async () => {
    const ORDER = `query($id: ID!) { order(id: $id) { status saga { state steps { name status } } cancellation { state } } }`;
    const paid = await h.gql(buyerOf(fixture.paid), ORDER, { id: fixture.paid });
    expect(paid.body.errors).toBeUndefined();
    expect(paid.body.data?.order).toEqual({
      status: 'CANCELLED',
      saga: {
        state: 'SUCCEEDED',
        steps: [
          { name: 'RESERVE_STOCK', status: 'SUCCEEDED' },
          { name: 'CHARGE_PAYMENT', status: 'SUCCEEDED' },
          { name: 'COMMIT_STOCK', status: 'SUCCEEDED' },
        ],
      },
      cancellation: { state: 'SUCCEEDED' },
    });
    const declined = await h.gql(buyerOf(fixture.declined), ORDER, { id: fixture.declined });
    expect(declined.body.data?.order).toMatchObject({ status: 'FAILED', saga: { state: 'COMPENSATED' } });

    const stored = await h.db.orderEvent.findMany({ where: { streamId: fixture.paid, dataVersion: 1 } });
    expect(stored.some((row) => (row.data as { step?: string }).step === 'CONFIRM_ORDER')).toBe(true);
  });
});
