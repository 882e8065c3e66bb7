import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApolloGateway } from '@apollo/gateway';
import { gatewaySupergraphPath } from '../composition.ts';
import { keepApolloTelemetryOff } from './apolloTelemetry.ts';

// The module @apollo/gateway's constructor calls (through its CommonJS exports object, so a spy on
// that object is what the constructor sees).
const apolloOtel = createRequire(import.meta.url)('@apollo/gateway/dist/utilities/opentelemetry.js') as {
  createDataCollectionExporter: () => { shutdown(): Promise<void> };
};

const saved = process.env.APOLLO_TELEMETRY_DISABLED;
afterEach(() => {
  vi.restoreAllMocks();
  if (saved === undefined) delete process.env.APOLLO_TELEMETRY_DISABLED;
  else process.env.APOLLO_TELEMETRY_DISABLED = saved;
});

/** Builds Apollo's gateway the way ours does and says whether it started its data collection. */
function apolloCollects(): boolean {
  const exporter = vi
    .spyOn(apolloOtel, 'createDataCollectionExporter')
    .mockImplementation(() => ({ shutdown: () => Promise.resolve() }));
  const before = exporter.mock.calls.length; // one spy per test, however often it is asked
  new ApolloGateway({ supergraphSdl: readFileSync(gatewaySupergraphPath('web'), 'utf8') });
  return exporter.mock.calls.length > before;
}

describe("Apollo's data collection", () => {
  it('is off unless the operator set APOLLO_TELEMETRY_DISABLED', () => {
    delete process.env.APOLLO_TELEMETRY_DISABLED;
    expect(apolloCollects()).toBe(true); // Apollo's own default: why the switch exists
    expect(keepApolloTelemetryOff()).toBe(true);
    expect(process.env.APOLLO_TELEMETRY_DISABLED).toBe('true');
    expect(apolloCollects()).toBe(false);
  });

  it("leaves an operator's choice as it is", () => {
    const optedIn: NodeJS.ProcessEnv = { APOLLO_TELEMETRY_DISABLED: 'false' };
    expect(keepApolloTelemetryOff(optedIn)).toBe(false);
    expect(optedIn.APOLLO_TELEMETRY_DISABLED).toBe('false');
    process.env.APOLLO_TELEMETRY_DISABLED = 'false';
    expect(apolloCollects()).toBe(true);
    expect(keepApolloTelemetryOff({ APOLLO_TELEMETRY_DISABLED: '1' })).toBe(true);
  });
});
