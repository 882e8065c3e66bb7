import { randomFillSync } from 'node:crypto';

/** W3C Trace Context version 00: `00-<trace-id 32 hex>-<parent-id 16 hex>-<flags 2 hex>`. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** Random bytes drawn 4 KiB at a time: one call into the CSPRNG per ~170 requests instead of two per request. */
const pool = Buffer.alloc(4096);
let used = pool.length;

function randomHex(bytes: number): string {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += bytes;
  return pool.toString('hex', used - bytes, used);
}

function nonZeroHex(bytes: number): string {
  for (;;) {
    const hex = randomHex(bytes);
    if (/[^0]/.test(hex)) return hex;
  }
}

/**
 * The `traceparent` the gateway sends to subgraphs: the client's trace continued (same trace id and
 * flags, the gateway's own span id as parent), or a new trace when the client sent none or an
 * invalid one. Parsing follows the spec: unknown versions are read as 00 where they fit, version ff
 * and all-zero ids are invalid.
 */
export function continueTrace(incoming: string | undefined): string {
  const match = incoming ? TRACEPARENT.exec(incoming.trim().toLowerCase()) : null;
  if (match) {
    const [, version, traceId, parentId, flags, rest] = match;
    const valid =
      version !== 'ff' &&
      !(version === '00' && rest !== undefined) &&
      !/^0+$/.test(traceId ?? '') &&
      !/^0+$/.test(parentId ?? '');
    if (valid) return `00-${traceId}-${nonZeroHex(8)}-${flags}`;
  }
  return `00-${nonZeroHex(16)}-${nonZeroHex(8)}-00`;
}

/** The trace id of a valid `traceparent` (what log lines carry to join one request across hops). */
export function traceIdOf(traceparent: string): string {
  // The usual layout (`00-` then 32 hex digits, as `continueTrace` writes it) without splitting the string.
  if (traceparent.indexOf('-') === 2 && traceparent.indexOf('-', 3) === 35) return traceparent.slice(3, 35);
  return traceparent.split('-')[1] ?? '';
}
