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
