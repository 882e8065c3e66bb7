// Errors that are answers are made without a stack, and the limit is restored whatever happens.
import { describe, expect, it } from 'vitest';
import { appError, withoutStack } from './errors.ts';

describe('withoutStack', () => {
  it('makes the error with no frames and restores the stack limit, also when making it throws', () => {
    const limit = Error.stackTraceLimit;
    const error = withoutStack(() => appError('OUT_OF_STOCK', 'Sold out'));
    expect(error.stack).not.toMatch(/\n\s+at /);
    expect(new Error('a fault').stack).toMatch(/\n\s+at /);
    expect(() =>
      withoutStack(() => {
        throw new Error('while making it');
      }),
    ).toThrow('while making it');
    expect(Error.stackTraceLimit).toBe(limit);
  });
});
