import { describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import { requireOwner, requireService, requireUser } from './authorize.ts';

const USER = '6f1c2b9a-3d4e-4f50-8a61-7b8c9d0e1f23';
const OTHER = '0b7e4c1d-2a3f-4e5d-9c6b-8a7f6e5d4c3b';

function codeOf(check: () => unknown): unknown {
  try {
    check();
  } catch (error) {
    return error instanceof GraphQLError ? error.extensions.code : error;
  }
  return 'passed';
}

describe('ownership', () => {
  it('lets the owner through, refuses anyone else with FORBIDDEN and the anonymous with UNAUTHENTICATED', () => {
    expect(codeOf(() => requireOwner({ userId: USER, client: 'web' }, USER.toUpperCase(), 'orders'))).toBe('passed');
    expect(codeOf(() => requireOwner({ userId: USER, client: 'web' }, OTHER, 'orders'))).toBe('FORBIDDEN');
    expect(codeOf(() => requireOwner({ userId: null, client: 'web' }, OTHER, 'orders'))).toBe('UNAUTHENTICATED');
    expect(codeOf(() => requireUser({ userId: null, client: 'mobile' }))).toBe('UNAUTHENTICATED');
    expect(requireUser({ userId: USER, client: 'mobile' })).toBe(USER);
  });
});

describe('service callers', () => {
  it('lets a signed service call through, with or without a user, and refuses web and mobile clients with FORBIDDEN', () => {
    expect(codeOf(() => requireService({ userId: USER, client: 'service' }))).toBe('passed');
    expect(codeOf(() => requireService({ userId: null, client: 'service' }))).toBe('passed');
    expect(codeOf(() => requireService({ userId: USER, client: 'web' }))).toBe('FORBIDDEN');
    expect(codeOf(() => requireService({ userId: null, client: 'mobile' }))).toBe('FORBIDDEN');
  });
});
