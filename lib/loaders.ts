import DataLoader from 'dataloader';

/**
 * A per-request loader of rows by a unique key: one query per batch, results in key order, null for
 * a key with no row (DataLoader's contract). Never share one across requests or users.
 */
export function uniqueLoader<K, V>(
  fetch: (keys: readonly K[]) => Promise<V[]>,
  keyOf: (row: V) => K,
): DataLoader<K, V | null> {
  return new DataLoader<K, V | null>(async (keys) => {
    const byKey = new Map<K, V>();
    for (const row of await fetch(keys)) byKey.set(keyOf(row), row);
    return keys.map((key) => byKey.get(key) ?? null);
  });
}

/** Like `uniqueLoader` for one-to-many relations: each key gets its (possibly empty) list, in fetch order. */
export function groupLoader<K, V>(
  fetch: (keys: readonly K[]) => Promise<V[]>,
  keyOf: (row: V) => K,
): DataLoader<K, V[]> {
  return new DataLoader<K, V[]>(async (keys) => {
    const groups = new Map<K, V[]>(keys.map((key) => [key, []]));
    for (const row of await fetch(keys)) groups.get(keyOf(row))?.push(row);
    return keys.map((key) => groups.get(key) ?? []);
  });
}

/**
 * Loaders whose batch function also depends on field arguments (a page size, a cursor): one loader
 * per distinct argument set, so `reviews(first: 2)` on fifty products is still one query.
 */
export function loaderFamily<A, K, V>(create: (args: A) => DataLoader<K, V>, argsKey: (args: A) => string) {
  const loaders = new Map<string, DataLoader<K, V>>();
  return (args: A): DataLoader<K, V> => {
    const key = argsKey(args);
    let loader = loaders.get(key);
    if (!loader) {
      loader = create(args);
      loaders.set(key, loader);
    }
    return loader;
  };
}
