// The ceiling: a bare node:http server answering each path with bytes recorded from a real answer.
// No gateway can answer faster on this machine; a cache hit is measured against it.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveParent } from '../ipc.ts';

const answers = new Map<string, Buffer>();
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const body = answers.get(req.url ?? '');
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;
process.on('SIGTERM', () => process.exit(0));
serveParent(
  { url: `http://127.0.0.1:${port}` },
  {
    record: (payload) => {
      const { path, body } = payload as { path: string; body: string };
      answers.set(path, Buffer.from(body));
      return null;
    },
  },
);
