/**
 * `compute` remembered per key, for at most `capacity` keys (the oldest goes first): what the caches
 * derive from a fetch's text is reused across requests, while clients of an open gateway, who may
 * send any operation, cannot grow it without bound.
 */
export function remembered<T>(capacity: number, compute: (key: string) => T): (key: string) => T {
  const known = new Map<string, T>();
  return (key) => {
    const hit = known.get(key);
    if (hit !== undefined) return hit;
    const value = compute(key);
    // A Map iterates in insertion order: its first key is the oldest.
    if (known.size >= capacity) known.delete(known.keys().next().value ?? '');
    known.set(key, value);
    return value;
  };
}
