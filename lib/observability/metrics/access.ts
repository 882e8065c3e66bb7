import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * Who may read `/metrics`. Development: anyone, on the process's own port. Production
 * (`NODE_ENV=production`): never an anonymous caller on the public port; operators choose a separate
 * port (`METRICS_PORT`, bound to the pod network and scraped there) or a bearer token
 * (`METRICS_TOKEN`, which Prometheus sends with `authorization: { credentials: ... }`), or both.
 */
export interface MetricsAccess {
  production: boolean;
  /** Serve `/metrics` on this port only, not on the public one (0: an ephemeral port, for tests). */
  port: number | null;
  /** Require `Authorization: Bearer <token>` wherever `/metrics` is served. */
  token: string | null;
}

export const DEVELOPMENT_METRICS_ACCESS: MetricsAccess = { production: false, port: null, token: null };

const shape = z.object({
  NODE_ENV: z.string().default('development'),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  // Long enough that guessing is hopeless; compared in constant time.
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
});

/** Reads `METRICS_PORT` and `METRICS_TOKEN` once, failing fast with the variable's name. */
export function metricsAccessFromEnv(env: NodeJS.ProcessEnv = process.env): MetricsAccess {
  const parsed = shape.safeParse({
    ...env,
    METRICS_PORT: env.METRICS_PORT?.trim() || undefined,
    METRICS_TOKEN: env.METRICS_TOKEN || undefined,
  });
  if (!parsed.success) {
    throw new Error(
      `Invalid metrics configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const { NODE_ENV, METRICS_PORT, METRICS_TOKEN } = parsed.data;
  return { production: NODE_ENV === 'production', port: METRICS_PORT ?? null, token: METRICS_TOKEN ?? null };
}

export type MetricsVerdict = 'serve' | 'unauthorized' | 'hidden';

/** What a `/metrics` request gets on the public port (`onMetricsPort`: false) or the metrics port. */
export function metricsVerdict(
  access: MetricsAccess,
  authorization: string | undefined,
  onMetricsPort: boolean,
): MetricsVerdict {
  if (!onMetricsPort && access.port !== null) return 'hidden';
  if (access.token !== null) return bearerMatches(authorization, access.token) ? 'serve' : 'unauthorized';
  if (!onMetricsPort && access.production) return 'hidden';
  return 'serve';
}

function bearerMatches(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]!);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
