/**
 * The fields the gateway adds to subgraph fetches to learn which entities an answer holds (see
 * fetchAnalysis.ts): `bffTag__typename: __typename` and `bffTag__<key>: <key>` on every entity
 * object. The gateway's result shaping keeps only what the client asked for, so they never reach it.
 */
export const TAG_FIELD_PREFIX = 'bffTag__';
export const TAG_TYPENAME = `${TAG_FIELD_PREFIX}typename`;

/** `Product:<id>`: what entries are indexed under, and what mutations and events invalidate. */
export function entityTag(typename: string, keyValues: readonly unknown[]): string {
  return `${typename}:${keyValues.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(':')}`;
}

/** Adds the tag of every entity object in a subgraph's answer (objects carrying the added fields). */
export function collectTags(data: unknown, into: Set<string>): void {
  if (Array.isArray(data)) {
    for (const item of data) collectTags(item, into);
    return;
  }
  if (data === null || typeof data !== 'object') return;
  const record = data as Record<string, unknown>;
  const typename = record[TAG_TYPENAME];
  if (typeof typename === 'string') {
    const values: unknown[] = [];
    for (const [key, value] of Object.entries(record))
      if (key !== TAG_TYPENAME && key.startsWith(TAG_FIELD_PREFIX)) values.push(value);
    if (values.length) into.add(entityTag(typename, values));
  }
  for (const value of Object.values(record)) if (value !== null && typeof value === 'object') collectTags(value, into);
}

/** The tag of an entity representation sent to `_entities`, from the key fields the subgraph declares. */
export function representationTag(
  representation: Record<string, unknown>,
  keyFields: readonly string[] | null,
): string | null {
  const typename = representation.__typename;
  if (typeof typename !== 'string') return null;
  const fields = keyFields ?? ['id'];
  if (!fields.every((f) => representation[f] !== undefined && representation[f] !== null)) return null;
  return entityTag(
    typename,
    fields.map((f) => representation[f]),
  );
}
