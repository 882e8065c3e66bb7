import { z } from 'zod';
import { processorConfigFromEnv, type ProcessorConfig } from './processor/index.ts';

/** Chaos/test knobs (`PAYMENTS_FAULT_AT`, off by default). `record-capture`: a capture's recording fails. */
export const PAYMENTS_FAULTS = ['record-capture'] as const;
export type PaymentsFault = (typeof PAYMENTS_FAULTS)[number];

export interface PaymentsConfig {
  processor: ProcessorConfig;
  /** Payments' own database transactions; no processor call ever runs inside one. */
  transactionTimeoutMs: number;
  /**
   * `record-capture`: after the processor captured, recording it fails (as a lost connection or a
   * crash would), to prove that recovery and reconcile find the capture at the processor.
   */
  faultAt: PaymentsFault | null;
}

const shape = z.object({
  PAYMENTS_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(5_000),
  PAYMENTS_FAULT_AT: z.enum(PAYMENTS_FAULTS).optional(),
});

/** Read once when the server is built; a bad value stops the start with the variable's name. */
export function paymentsConfigFromEnv(env: NodeJS.ProcessEnv): PaymentsConfig {
  const processor = processorConfigFromEnv(env);
  const parsed = shape.safeParse(env);
  if (!parsed.success) {
    throw new Error(
      `Invalid payments configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return {
    processor,
    transactionTimeoutMs: parsed.data.PAYMENTS_TRANSACTION_TIMEOUT_MS,
    faultAt: parsed.data.PAYMENTS_FAULT_AT ?? null,
  };
}
