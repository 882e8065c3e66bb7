/**
 * Sent with every attempt to a subgraph or service: how many milliseconds the caller waits for this
 * answer (the attempt's timeout, already cut to what is left of the request's budget). A server that
 * waits on something of its own (orders' stock gate, a reservation's answer) bounds that wait by it,
 * so it answers while someone still listens instead of working on for a caller that gave up.
 * Advisory: a server only ever shortens its own waits by it (lib/subgraph/context.ts reads it).
 */
export const CALLER_TIMEOUT_HEADER = 'x-request-timeout-ms';

/**
 * When each client request started talking to subgraphs, so every fetch of one request shares one
 * budget per subgraph: a plan with sequential fetches cannot give each of them a fresh full timeout.
 * Keyed weakly by Apollo's per-request context object, so nothing outlives the request.
 */
export class RequestDeadlines {
  readonly #starts = new WeakMap<object, number>();

  deadlineFor(request: object | undefined, budgetMs: number, now = Date.now()): number {
    if (!request) return now + budgetMs;
    let start = this.#starts.get(request);
    if (start === undefined) {
      start = now;
      this.#starts.set(request, start);
    }
    return start + budgetMs;
  }
}
