import { collectDefaultMetrics, Registry } from 'prom-client';

/** One process's (or, in tests, one server's) metrics: its own registry, labelled with the service. */
export interface ServiceMetrics {
  service: string;
  registry: Registry;
}

/**
 * A registry per server rather than prom-client's global one: tests run several services in one
 * process and each must show only its own figures. Node's runtime metrics (CPU, memory, event-loop
 * lag, GC, handles) are registered in each.
 */
export function createServiceMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return { service, registry };
}
