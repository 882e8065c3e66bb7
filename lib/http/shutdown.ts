import { z } from 'zod';
import type { Logger } from '../observability/index.ts';
import type { RunningServer } from './graphqlServer.ts';

export interface ShutdownConfig {
  /** How long requests in flight get to finish once the listener is closed; then they are cut. */
  drainMs: number;
  /** How long `/ready` answers 503 while requests are still served, before the listener closes. */
  delayMs: number;
}

/** Past the drain, closing pools, Redis and consumers gets this long before the process exits anyway. */
export const CLOSE_GRACE_MS = 5_000;

/** A second signal this soon after the first is the same stop delivered twice. */
const DUPLICATE_SIGNAL_MS = 1_000;

const shape = z.object({
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
});

/** Read once per process; a bad value stops the start naming the variable. */
export function shutdownConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ShutdownConfig {
  const parsed = shape.safeParse(env);
  if (!parsed.success) {
    throw new Error(
      `Invalid shutdown configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return { drainMs: parsed.data.SHUTDOWN_DRAIN_MS, delayMs: parsed.data.SHUTDOWN_DELAY_MS };
}

/**
 * Graceful stop for a server process on SIGTERM (Kubernetes, docker, npm start) or SIGINT (Ctrl-C):
 * `/ready` turns false at once while requests are still served for `delayMs` (load balancers and
 * gateways stop sending here), then the listener closes and requests in flight get `drainMs` to
 * finish; then the server's own close runs (workers and saga steps finish, pools, Redis and
 * consumers close) and the process exits 0. A stop that overruns drainMs + CLOSE_GRACE_MS exits 1,
 * and a second signal (a second later or more) exits at once.
 */
export function closeOnSignals(
  server: Pick<RunningServer, 'drain'> & { close(options?: { timeoutMs?: number }): Promise<void> },
  logger: Logger,
  config: ShutdownConfig = shutdownConfigFromEnv(),
): void {
  let started = 0;
  const stop = async (signal: string) => {
    if (started) {
      // The same stop delivered twice (a signal to the process group and one from a supervisor, as
      // `timeout` or a terminal's Ctrl-C under a runner do) is not an impatient second request.
      if (Date.now() - started < DUPLICATE_SIGNAL_MS) return;
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    started = Date.now();
    server.drain();
    logger.info({ signal, drainMs: config.drainMs, delayMs: config.delayMs }, 'stopping: not ready, draining');
    setTimeout(
      () => {
        logger.error({ elapsedMs: Date.now() - started }, 'stop overran its drain timeout; exiting');
        process.exit(1);
      },
      config.delayMs + config.drainMs + CLOSE_GRACE_MS,
    ).unref();
    try {
      if (config.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.delayMs));
      await server.close({ timeoutMs: config.drainMs });
      logger.info({ elapsedMs: Date.now() - started }, 'stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'stop failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
