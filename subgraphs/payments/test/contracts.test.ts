// Replays what the gateways (and any other consumer) recorded in subgraphs/payments/contracts/ against
// this subgraph alone: a change here that breaks a consumer fails with that consumer named.
import { replayContracts } from '../../../test/support/contracts.ts';

/** The saga orders-saga's OrdersSagaRefundPayment contract refunds (see its file). */
const CHARGED_SAGA = '5a6a0002-0000-4000-8000-000000000002';

replayContracts('payments', {
  async given(send) {
    const card = { number: '4242424242424242', expMonth: 12, expYear: 2099, cvc: '123' };
    const { body } = await send('mutation($input: ChargeInput!) { chargePayment(input: $input) { outcome } }', {
      input: { sagaId: CHARGED_SAGA, orderId: CHARGED_SAGA, amountCents: 1250, currency: 'USD', card },
    });
    if (JSON.stringify(body.data) !== '{"chargePayment":{"outcome":"CAPTURED"}}')
      throw new Error(`provider state: no capture for ${CHARGED_SAGA}: ${JSON.stringify(body)}`);
  },
});
