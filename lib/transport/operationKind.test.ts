import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { operationKindOf } from './operationKind.ts';

describe('operationKindOf', () => {
  it('reads the kind from the document when the planner gives one', () => {
    expect(operationKindOf(undefined, parse('mutation Checkout { checkout }'))).toBe('mutation');
    expect(operationKindOf(undefined, parse('query A { a } mutation B { b }'), 'B')).toBe('mutation');
  });

  it('reads it from the text otherwise', () => {
    expect(operationKindOf('{ products { id } }')).toBe('query');
    expect(operationKindOf('query Q__users__0 { users { id } }')).toBe('query');
    expect(operationKindOf('  mutation { touch }')).toBe('mutation');
    expect(operationKindOf('fragment F on Query { a } mutation M { ...F }')).toBe('mutation');
  });

  it('says unknown when it cannot tell, which callers treat as not retryable', () => {
    expect(operationKindOf(undefined)).toBe('unknown');
    expect(operationKindOf('not graphql (')).toBe('unknown');
  });
});
