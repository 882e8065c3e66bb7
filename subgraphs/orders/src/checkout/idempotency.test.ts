import { describe, expect, it } from 'vitest';
import { idempotencyHashKey, requestHash } from './idempotency.ts';

const key = idempotencyHashKey(new TextEncoder().encode('a-test-secret-of-at-least-32-bytes!!'));
const visa = { number: '4242424242424242', expMonth: 12, expYear: 2030, cvc: '123' };

describe('requestHash (the idempotency fingerprint of a checkout)', () => {
  it('keeps nothing derived from the CVC: the same card with another CVC is the same request', () => {
    expect(requestHash(key, { ...visa, cvc: '999' })).toBe(requestHash(key, visa));
    expect(requestHash(key, { ...visa, cvc: '' })).toBe(requestHash(key, visa));
  });

  it('tells cards apart by brand, last four digits and expiry', () => {
    const base = requestHash(key, visa);
    expect(requestHash(key, { ...visa, number: '5555555555554444' })).not.toBe(base);
    expect(requestHash(key, { ...visa, number: '4000056655665556' })).not.toBe(base);
    expect(requestHash(key, { ...visa, expMonth: 11 })).not.toBe(base);
    expect(requestHash(key, { ...visa, expYear: 2031 })).not.toBe(base);
    expect(requestHash(key, { ...visa, number: '4242 4242 4242 4242' })).toBe(base);
  });

  it('is an HMAC under the service secret', () => {
    const other = idempotencyHashKey(new TextEncoder().encode('another-secret-of-at-least-32-bytes!'));
    expect(requestHash(other, visa)).not.toBe(requestHash(key, visa));
    expect(requestHash(key, visa)).not.toContain('4242');
  });
});
