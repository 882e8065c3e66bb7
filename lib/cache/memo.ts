/**
 * `compute` remembered per key, for at most `capacity` keys (the oldest goes first): what the caches
 * derive from a fetch's text is reused across requests, while clients of an open gateway, who may
 * send any operation, cannot grow it without bound. Extra arguments reach `compute` on a miss only:
 * what it needs to compute the value, which the key alone stands for.
 */
export function remembered<T, A extends unknown[] = []>(
  capacity: number,
  compute: (key: string, ...args: A) => T,
): (key: string, ...args: A) => T {
  const known = new Map<string, T>();
  return (key, ...args) => {
    const hit = known.get(key);
    if (hit !== undefined) return hit;
    const value = compute(key, ...args);
    // A Map iterates in insertion order: its first key is the oldest.
    if (known.size >= capacity) known.delete(known.keys().next().value ?? '');
    known.set(key, value);
    return value;
  };
}
