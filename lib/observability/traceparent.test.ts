import { describe, expect, it } from 'vitest';
import { continueTrace } from './traceparent.ts';

const SHAPE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const INCOMING = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('traceparent', () => {
  it("continues the client's trace with the gateway's own span id", () => {
    const [, traceId, parentId, flags] = SHAPE.exec(continueTrace(INCOMING)) ?? [];
    expect(traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(parentId).not.toBe('00f067aa0ba902b7');
    expect(flags).toBe('01');
  });

  it('starts a new trace when there is none or it is invalid', () => {
    const invalid = [
      undefined,
      'garbage',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      `${INCOMING}-extra`,
    ];
    for (const incoming of invalid) {
      const outgoing = continueTrace(incoming);
      expect(outgoing, String(incoming)).toMatch(SHAPE);
      expect(outgoing).not.toContain('4bf92f3577b34da6a3ce929d0e0e4736');
    }
    expect(continueTrace(undefined)).not.toBe(continueTrace(undefined));
  });
});
