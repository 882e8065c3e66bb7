// What the fast path keys a request by, and how it reads a stored entry without parsing its data.
import { describe, expect, it } from 'vitest';
import type { CacheEntry } from '../cache/entry.ts';
import { readEntry, shapeKey } from './fastHit.ts';

describe('shapeKey', () => {
  it('differs by variables, name and document', () => {
    const key = shapeKey({ query: '{ a }', variables: { x: 1, y: 2 } });
    expect(shapeKey({ query: '{ a }', variables: { x: 1, y: 2 } })).toBe(key);
    expect(shapeKey({ query: '{ a }', variables: { x: 1, y: 3 } })).not.toBe(key);
    expect(shapeKey({ query: '{ a }', variables: { x: 1, y: 2 }, operationName: 'A' })).not.toBe(key);
    expect(shapeKey({ query: '{ b }', variables: { x: 1, y: 2 } })).not.toBe(key);
    expect(shapeKey({ query: '{ a }' })).toBe(shapeKey({ query: '{ a }', variables: null }));
  });

  it('keys a persisted query by its id, apart from a query whose text is that id', () => {
    const byId = { extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } } };
    expect(shapeKey(byId)).not.toBeNull();
    expect(shapeKey(byId)).not.toBe(shapeKey({ query: 'abc' }));
    // A registration (text and id) is the ordinary path's; its plugin learns it under the id.
    expect(shapeKey({ ...byId, query: '{ a }' })).toBeNull();
    expect(shapeKey({ ...byId, query: '{ a }' }, true)).toBe(shapeKey(byId));
  });

  it('leaves batches, other extensions and malformed fields to the ordinary path', () => {
    for (const body of [
      [{ query: '{ a }' }],
      { query: '{ a }', extensions: { tracing: true } },
      { query: '{ a }', variables: [1] },
      { query: '{ a }', variables: 'x' },
      { query: '{ a }', operationName: 3 },
      { extensions: { persistedQuery: { version: 2, sha256Hash: 'abc' } } },
      { query: 42 },
      null,
    ])
      expect(shapeKey(body), JSON.stringify(body)).toBeNull();
  });
});

describe('readEntry', () => {
  it("returns the data's JSON as stored, with scope and freshness, even when the data holds look-alike keys", () => {
    const data = { scope: 'x', items: [{ ',"scope":"': 'PUBLIC', freshUntil: 1, tags: ['"scope"'] }] };
    const entry: CacheEntry = { data, scope: 'PRIVATE', freshUntil: 123, tags: ['User:1', 'a,"scope":"b'] };
    const read = readEntry(Buffer.from(JSON.stringify(entry)));
    expect(read && { ...read, data: read.data.toString() }).toEqual({
      data: JSON.stringify(data),
      scope: 'PRIVATE',
      freshUntil: 123,
    });
  });

  it('rejects anything else', () => {
    expect(readEntry(Buffer.from('{"scope":"PUBLIC","freshUntil":1,"tags":[]}'))).toBeNull();
    expect(readEntry(Buffer.from('{"data":{},"scope":"SHARED","freshUntil":1,"tags":[]}'))).toBeNull();
    expect(readEntry(Buffer.from('{"data":{},"scope":"PUBLIC","freshUntil":"1","tags":[]}'))).toBeNull();
    expect(readEntry(Buffer.from('not json'))).toBeNull();
  });
});
