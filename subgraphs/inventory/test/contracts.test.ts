// Replays what the gateways (and any other consumer) recorded in subgraphs/inventory/contracts/ against
// this subgraph alone: a change here that breaks a consumer fails with that consumer named.
import { demoData } from '../../../lib/seed/index.ts';
import { replayContracts } from '../../../test/support/contracts.ts';

/** The sagas orders-saga's OrdersSagaCommitStock and OrdersSagaReleaseStock contracts act on (see their files). */
const HELD_SAGAS = ['5a6a0001-0000-4000-8000-000000000002', '5a6a0001-0000-4000-8000-000000000003'];

replayContracts('inventory', {
  async given(send) {
    const productId = demoData(1).stock.find((s) => s.onHand > 0)?.productId;
    for (const sagaId of HELD_SAGAS) {
      const { body } = await send(
        'mutation($sagaId: ID!, $lines: [StockLineInput!]!) { reserveStock(sagaId: $sagaId, lines: $lines) { status } }',
        {
          sagaId,
          lines: [{ productId, quantity: 1 }],
        },
      );
      if (JSON.stringify(body.data) !== '{"reserveStock":{"status":"HELD"}}')
        throw new Error(`provider state: no hold for ${sagaId}: ${JSON.stringify(body)}`);
    }
  },
});
