import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BodyTooLargeError, readBody } from './readBody.ts';

const LIMIT = 16;
let url: string;
let outcome: Promise<string | Error>;
let heard: (value: string | Error) => void;
const server = createServer((req: IncomingMessage, res) => {
  readBody(req, LIMIT).then(heard, heard);
  req.once('close', () => res.end());
  setTimeout(() => res.end(), 50);
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function listen() {
  outcome = new Promise((resolve) => (heard = resolve));
}

/** Sends `chunks` as a chunked body (no content-length), each written on its own. */
function send(chunks: string[], headers: Record<string, string> = {}, abortAfter = false) {
  const req = request(url, { method: 'POST', headers });
  req.on('error', () => undefined);
  for (const chunk of chunks) req.write(chunk);
  if (abortAfter) setTimeout(() => req.destroy(), 30);
  else req.end();
}

describe('readBody', () => {
  it('joins a body that arrives in several chunks', async () => {
    listen();
    send(['{"a":', '"é"', '}']);
    expect(await outcome).toBe('{"a":"é"}');
  });

  it('refuses a declared length over the limit before reading anything', async () => {
    listen();
    send(['x'], { 'content-length': String(LIMIT + 1) }, true);
    const error = await outcome;
    expect(error).toBeInstanceOf(BodyTooLargeError);
  });

  it('refuses a body that grows past the limit while it arrives', async () => {
    listen();
    send(['0123456789', '0123456789'], {}, true);
    expect(await outcome).toBeInstanceOf(BodyTooLargeError);
  });

  it('refuses a body whose client went away before it ended, rather than waiting forever', async () => {
    listen();
    send(['{"partial":'], {}, true);
    // Node reports the reset as the stream's error ('aborted'); a bare close is BodyAbortedError.
    const error = await outcome;
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(BodyTooLargeError);
  });

  it('reads an empty body as an empty string', async () => {
    listen();
    send([]);
    expect(await outcome).toBe('');
  });
});
