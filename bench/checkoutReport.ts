// The checkout scenario's figures (bench/checkout.ts) and how the console and the Markdown report show them.

export interface CheckoutRun {
  buyers: number;
  units: number;
  inFlight: number;
}

export interface CheckoutMeasurement extends CheckoutRun {
  checkoutsPerSecond: number;
  p50: number;
  p99: number;
  /** Response percentiles of the first `inFlight` buyers (sent at once) and of the others. */
  firstWave?: { p50: number; p99: number };
  rest?: { p50: number; p99: number };
  confirmed: number;
  refused: number;
  /**
   * Checkouts that got as far as an order and a saga: the confirmed ones, and the refusals made by
   * the reservation rather than by the availability check before placing (each costs a saga).
   */
  ordersPlaced?: number;
  /** From the first checkout sent until every saga was terminal. */
  settledAfterMs: number;
  gatewayCpuMsPerCheckout: number;
  subgraphCpuMsPerCheckout: number;
  statementsPerCheckout: number;
  /** The same, by service. */
  statementsByService: Record<string, number>;
}

/** One line for the console. */
export function describeCheckout(m: CheckoutMeasurement): string {
  const by = Object.entries(m.statementsByService)
    .map(([name, n]) => `${name} ${n.toFixed(1)}`)
    .join(', ');
  return (
    `  ${m.buyers} checkouts for ${m.units} units, ${m.inFlight} in flight: ${m.checkoutsPerSecond.toFixed(0)} checkouts/s  ` +
    `p50 ${m.p50} p99 ${m.p99} ms  ${m.confirmed} confirmed, ${m.refused} OUT_OF_STOCK (${m.ordersPlaced ?? '?'} orders placed)  all sagas terminal after ${m.settledAfterMs} ms\n` +
    (m.firstWave && m.rest
      ? `  first ${m.inFlight}: p50 ${m.firstWave.p50} p99 ${m.firstWave.p99} ms; the rest: p50 ${m.rest.p50} p99 ${m.rest.p99} ms\n`
      : '') +
    `  per checkout: cpu gw ${m.gatewayCpuMsPerCheckout.toFixed(2)} sg ${m.subgraphCpuMsPerCheckout.toFixed(2)} ms  ` +
    `sql ${m.statementsPerCheckout.toFixed(1)} (${by})`
  );
}

/** The Markdown report's section. */
export function checkoutMarkdown(m: CheckoutMeasurement): string[] {
  const by = Object.entries(m.statementsByService)
    .map(([name, n]) => `${name} ${n.toFixed(1)}`)
    .join(', ');
  return [
    `**Checkout throughput** (ours, gateway-web, rate limits on): ${m.buyers} buyers check out one unit each of a product with ${m.units}, ${m.inFlight} in flight.`,
    '',
    '| checkouts/s | p50 / p99 ms | confirmed / OUT_OF_STOCK | all sagas terminal after | gateway CPU ms/checkout | subgraphs CPU ms/checkout | SQL/checkout |',
    '|---:|---:|---:|---:|---:|---:|---|',
    `| ${m.checkoutsPerSecond.toFixed(0)} | ${m.p50} / ${m.p99} | ${m.confirmed} / ${m.refused} | ${m.settledAfterMs} ms | ${m.gatewayCpuMsPerCheckout.toFixed(2)} | ${m.subgraphCpuMsPerCheckout.toFixed(2)} | ${m.statementsPerCheckout.toFixed(1)} (${by}) |`,
    ...(m.firstWave && m.rest
      ? [
          '',
          `The first ${m.inFlight} buyers (sent at once; they wait on the reservations of the units): p50 / p99 ${m.firstWave.p50} / ${m.firstWave.p99} ms; the others: ${m.rest.p50} / ${m.rest.p99} ms.`,
        ]
      : []),
  ];
}
