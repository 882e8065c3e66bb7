import type { DatabaseTarget } from './target.ts';

/** A target for logs: the database name or directory, never a password. */
export function describeTarget(target: DatabaseTarget): string {
  if (target.kind === 'pglite') return `pglite:${target.dataDir}`;
  const url = new URL(target.url);
  return `postgres://${url.host}/${target.database}`;
}
