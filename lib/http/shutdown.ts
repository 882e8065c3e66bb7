import type { Logger } from '../observability/index.ts';

/**
 * Graceful stop for a server process: on SIGTERM (Kubernetes, npm start) or SIGINT (Ctrl-C) it stops
 * taking requests, finishes the ones in flight, closes its pools, then exits 0.
 */
export function closeOnSignals(server: { close(): Promise<void> }, logger: Logger): void {
  const stop = async (signal: string) => {
    logger.info({ signal }, 'stopping');
    await server.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
