/** What the counter needs of an ioredis client (a single node or a cluster). */
interface CommandSender {
  sendCommand(...args: never[]): unknown;
}

/**
 * Counts the commands a connection sends, each one round trip (ioredis' auto-pipelining is off),
 * by wrapping the client's `sendCommand` once: the caches, APQ, rate limits and invalidation are
 * all counted without a line in their code.
 */
export function countRoundTrips(clients: ReadonlyArray<CommandSender | null>): () => number {
  let count = 0;
  for (const client of new Set(clients)) {
    if (!client) continue;
    const send: (...args: never[]) => unknown = client.sendCommand.bind(client);
    client.sendCommand = (...args: never[]) => {
      count++;
      return send(...args);
    };
  }
  return () => count;
}
