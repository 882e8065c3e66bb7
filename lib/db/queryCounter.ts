/**
 * Counts the SQL statements a Prisma client sends. Subgraphs use it for the `sql` figure in their
 * logs and tests use it to prove that batching keeps statement counts flat as lists grow.
 */
export interface QueryCounter {
  readonly count: number;
  readonly statements: readonly string[];
  reset(): void;
}

interface QueryEventSource {
  $on(event: 'query', listener: (e: { query: string }) => void): void;
}

export function countQueries(client: QueryEventSource, keepStatements = false): QueryCounter {
  let count = 0;
  const statements: string[] = [];
  client.$on('query', (e) => {
    count += 1;
    if (keepStatements) statements.push(e.query);
  });
  return {
    get count() {
      return count;
    },
    statements,
    reset() {
      count = 0;
      statements.length = 0;
    },
  };
}
