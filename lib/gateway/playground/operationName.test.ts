import { describe, expect, it } from 'vitest';
import { operationNameFor } from './operationName.ts';

describe('operationNameFor', () => {
  it('keeps a name the document defines', () => {
    expect(operationNameFor('query A { a } query B { b }', 'B')).toBe('B');
  });

  it("replaces a stale name (the previous tab's) by the document's only operation", () => {
    expect(operationNameFor('query Dashboard { dashboard { id } }', 'Catalog')).toBe('Dashboard');
  });

  it('drops a stale name when the document has several operations, and keeps it when the document does not parse', () => {
    expect(operationNameFor('query A { a } query B { b }', 'Catalog')).toBeUndefined();
    expect(operationNameFor('query A {', 'A')).toBe('A');
    expect(operationNameFor('{ a }', null)).toBeUndefined();
  });
});
