import type { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { traceIdOf } from '../observability/index.ts';
import { requestInfo, requestUrl } from './graphqlServer.ts';

describe('requestUrl', () => {
  it.each(['/graphql', '/graphql?query={a}&x=1', '/health', '/', '/graphql/', '/a%20b?x=%22', '//graphql'])(
    'reads %s as new URL does',
    (raw) => {
      const expected = new URL(raw, 'http://localhost');
      const url = requestUrl(raw);
      expect(url.pathname).toBe(expected.pathname);
      expect(url.search).toBe(expected.search);
      expect([...url.searchParams]).toEqual([...expected.searchParams]);
    },
  );

  it('reads a missing URL as the root', () => {
    expect(requestUrl(undefined).pathname).toBe('/');
  });
});

describe('requestInfo', () => {
  it('builds the request logger on first use only, with both ids on every line', () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        callback();
      },
    });
    const root = pino({ level: 'info' }, sink);
    let children = 0;
    const child = root.child.bind(root);
    root.child = ((...args: Parameters<typeof root.child>) => {
      children += 1;
      return child(...args);
    }) as typeof root.child;

    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const info = requestInfo({} as IncomingMessage, 'req-1', traceparent, traceIdOf(traceparent), root);
    expect(children).toBe(0);
    info.logger.info('one');
    info.logger.warn('two');
    expect(children).toBe(1);
    expect(lines.map((l) => [l.msg, l.requestId, l.traceId])).toEqual([
      ['one', 'req-1', '4bf92f3577b34da6a3ce929d0e0e4736'],
      ['two', 'req-1', '4bf92f3577b34da6a3ce929d0e0e4736'],
    ]);
  });
});

describe('traceIdOf', () => {
  it.each([
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
    'not-a-traceparent',
    '',
  ])('reads %s as splitting on dashes does', (value) => {
    expect(traceIdOf(value)).toBe(value.split('-')[1] ?? '');
  });
});
