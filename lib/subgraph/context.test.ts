// When a subgraph's caller stops waiting, from the header every gateway and service attempt carries.
import { describe, expect, it } from 'vitest';
import { answerByOf } from './context.ts';

describe('answerByOf', () => {
  it("reads the caller's patience as a deadline from now", () => {
    expect(answerByOf({ 'x-request-timeout-ms': '1500' }, 1_000)).toBe(2_500);
    expect(answerByOf({ 'x-request-timeout-ms': '600000' }, 0)).toBe(600_000);
  });

  it('takes no deadline from a missing, malformed, zero or absurd value (never a longer wait)', () => {
    for (const value of [undefined, '', '0', '-5', '1.5', '15s', ' 100', '600001', '99999999999', ['100', '200']])
      expect(answerByOf({ 'x-request-timeout-ms': value }, 0), String(value)).toBeNull();
  });
});
