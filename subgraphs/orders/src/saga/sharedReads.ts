/**
 * Reads of one kind of public record by id (stock levels, prices) shared by the callers that ask
 * at about the same time: while `maxInFlight` reads are out, later callers wait, and their ids go
 * out together, deduplicated, as the next read once one is answered. Every caller's answer still
 * comes from a read sent after it asked, so sharing changes no answer's freshness; under a rush on
 * one product (a checkout burst) the provider answers one read of one id per round trip instead of
 * one per buyer. A failed read fails every caller it served, as each one's own read would have.
 */
export function sharedReads<V>(
  read: (ids: string[]) => Promise<V[]>,
  limits: { maxInFlight: number; maxIds: number },
): (ids: readonly string[]) => Promise<V[]> {
  interface Waiting {
    ids: readonly string[];
    resolve: (values: V[]) => void;
    reject: (error: unknown) => void;
  }
  const waiting: Waiting[] = [];
  let inFlight = 0;
  let scheduled = false;

  const send = (batch: Waiting[], ids: string[]) => {
    inFlight += 1;
    (async () => read(ids))()
      .then(
        (values) => {
          const byId = new Map(ids.map((id, i) => [id, values[i]!]));
          for (const w of batch) w.resolve(w.ids.map((id) => byId.get(id)!));
        },
        (error: unknown) => {
          for (const w of batch) w.reject(error);
        },
      )
      .finally(() => {
        inFlight -= 1;
        flush();
      });
  };

  function flush() {
    scheduled = false;
    while (waiting.length > 0 && inFlight < limits.maxInFlight) {
      const batch: Waiting[] = [];
      const ids = new Set<string>();
      for (const next of waiting) {
        const added = next.ids.filter((id) => !ids.has(id)).length;
        if (batch.length > 0 && ids.size + added > limits.maxIds) break;
        for (const id of next.ids) ids.add(id);
        batch.push(next);
      }
      waiting.splice(0, batch.length);
      send(batch, [...ids]);
    }
  }

  return (ids) => {
    if (ids.length === 0) return Promise.resolve([]);
    return new Promise<V[]>((resolve, reject) => {
      waiting.push({ ids, resolve, reject });
      if (scheduled) return;
      scheduled = true;
      // The callers of this turn of the event loop join the same read.
      queueMicrotask(flush);
    });
  };
}
