import { z } from 'zod';
import type { Logger } from '../../../../lib/observability/index.ts';
import { ServiceClient } from '../../../../lib/serviceClient/index.ts';
import type { OrdersConfig } from '../config.ts';
import { OPERATIONS } from '../saga/providers.ts';
import type { RepairProviders } from './reconcile.ts';

const holdAnswer = z.object({ sagaId: z.string(), status: z.string() });
const chargeAnswer = z.object({ sagaId: z.string(), outcome: z.string() });

function field<T>(data: Record<string, unknown>, name: string, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(data[name]);
  if (!parsed.success) throw new Error(`${name} answered with an unexpected shape: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/**
 * The repairs' calls: the saga's own step mutations on inventory and payments, sent as orders sends
 * them (its resilient client, a signed `service` identity). No buyer rides along: a repair may be
 * about a saga orders does not know, and neither step needs one.
 */
export function createRepairProviders(
  config: Pick<OrdersConfig, 'providers' | 'signing'>,
  logger: Logger,
): RepairProviders & { close(): Promise<void> } {
  const client = (name: 'inventory' | 'payments') =>
    new ServiceClient({
      name,
      urls: config.providers[name].urls,
      policy: config.providers[name].policy,
      signing: config.signing,
      logger,
    });
  const inventory = client('inventory');
  const payments = client('payments');
  const mutate = (service: ServiceClient, query: string, variables: Record<string, unknown>) =>
    service.request({ query, variables, userId: null, kind: 'mutation' });
  return {
    async releaseStock(sagaId, reason) {
      return field(await mutate(inventory, OPERATIONS.releaseStock, { sagaId, reason }), 'releaseStock', holdAnswer)
        .status;
    },
    async commitStock(sagaId) {
      return field(await mutate(inventory, OPERATIONS.commitStock, { sagaId }), 'commitStock', holdAnswer).status;
    },
    async refundPayment(sagaId, reason) {
      return field(await mutate(payments, OPERATIONS.refundPayment, { sagaId, reason }), 'refundPayment', chargeAnswer)
        .outcome;
    },
    async close() {
      await Promise.all([inventory.close(), payments.close()]);
    },
  };
}
