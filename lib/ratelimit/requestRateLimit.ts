import type { Admission, RateLimitStatus } from './limiter.ts';

/**
 * One request's rate limiting, the state the rate-limit plugin (or the known-query path in its
 * place) owns: what the response cache's fast path already spent for the request before leaving it
 * to the ordinary path (taken over instead of spending again), then the admission decided for it.
 * `Query.rateLimit`, `extensions.rateLimit` and the request metrics read it here.
 */
export class RequestRateLimit {
  #admission: Admission | null = null;

  /** `spentAhead`: the fast path's admission for this request, if it spent one. */
  constructor(readonly spentAhead?: Admission) {}

  /** The admission decided for this request (the fast path's, or the plugin's own). */
  decided(admission: Admission): void {
    this.#admission = admission;
  }

  /** The operation's budget as the admission left it; undefined before one was decided. */
  get status(): RateLimitStatus | undefined {
    return this.#admission?.status;
  }

  /** The budgets of rate-limited fields the operation selected, by schema coordinate. */
  get fields(): Record<string, RateLimitStatus> | undefined {
    return this.#admission?.fields;
  }
}
