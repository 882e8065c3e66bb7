import { closeOnSignals, shutdownConfigFromEnv } from '../http/index.ts';
import { createLogger, startTracing } from '../observability/index.ts';
import { gatewayConfigFromEnv } from './config.ts';
import { startGateway } from './gateway.ts';
import type { GatewayProfile } from './profile.ts';

/** The entry point of a gateway process: config from env, graceful stop on SIGTERM/SIGINT. */
export async function runGatewayProcess(profile: GatewayProfile): Promise<void> {
  const { name } = profile;
  const logger = createLogger(`gateway-${name}`);
  try {
    const shutdown = shutdownConfigFromEnv();
    // Before anything connects: OTEL_* variables decide whether this process traces.
    const tracing = await startTracing(`gateway-${name}`);
    const server = await startGateway(gatewayConfigFromEnv(profile), logger);
    logger.info({ url: server.url }, `gateway-${name} ready`);
    closeOnSignals(
      tracing
        ? { drain: () => server.drain(), close: (options) => server.close(options).finally(() => tracing.shutdown()) }
        : server,
      logger,
      shutdown,
    );
    // Tells a supervising `npm start` (an IPC channel) that this very process serves its port.
    process.send?.({ type: 'ready', url: server.url });
  } catch (error) {
    logger.fatal({ err: error }, `gateway-${name} failed to start`);
    process.exit(1);
  }
}
