import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Figures gathered about one HTTP request while it runs, wherever the work happens (a Prisma query
 * event, a resolver), without threading an object through every call: the server opens a scope per
 * request and metrics read it when the response is sent.
 */
export interface RequestScope {
  sqlStatements: number;
}

const scopes = new AsyncLocalStorage<RequestScope>();

export function runInRequestScope<T>(run: () => T): T {
  return scopes.run({ sqlStatements: 0 }, run);
}

/** The current request's scope; undefined outside a request (workers, start-up). */
export function currentRequestScope(): RequestScope | undefined {
  return scopes.getStore();
}
