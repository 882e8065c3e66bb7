import { z } from 'zod';

export interface ProcessorConfig {
  /** Added to every processor call, as a real processor's network and bank round trip. */
  latencyMs: number;
  /** Share of calls (0..1) that fail transiently at random, whatever the card. */
  failureRate: number;
  /** How long payments waits for one answer; past it the call's outcome is UNKNOWN until asked for. */
  timeoutMs: number;
}

const shape = z.object({
  PAYMENTS_PROCESSOR_LATENCY_MS: z.coerce.number().int().min(0).max(10_000).default(0),
  PAYMENTS_PROCESSOR_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
  PAYMENTS_PROCESSOR_TIMEOUT_MS: z.coerce.number().int().min(10).max(120_000).default(30_000),
});

/** Read once when the server is built; a bad value stops the start with the variable's name. */
export function processorConfigFromEnv(env: NodeJS.ProcessEnv): ProcessorConfig {
  const parsed = shape.safeParse(env);
  if (!parsed.success) {
    throw new Error(
      `Invalid card processor configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return {
    latencyMs: parsed.data.PAYMENTS_PROCESSOR_LATENCY_MS,
    failureRate: parsed.data.PAYMENTS_PROCESSOR_FAILURE_RATE,
    timeoutMs: parsed.data.PAYMENTS_PROCESSOR_TIMEOUT_MS,
  };
}
