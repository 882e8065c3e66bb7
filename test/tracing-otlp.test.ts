// Tracing configured the way an operator configures it, by the standard OTEL_* variables only: a
// real users subgraph process exporting OTLP (http/json) to a receiver in this test. Its server
// span continues the caller's traceparent, carries the process's service name, and has Prisma's
// SQL spans under it; told OTEL_TRACES_EXPORTER=none, the same process exports nothing.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portVariable } from '../lib/services.ts';
import { gatewaySigned, postToSubgraph, TEST_SIGNING_SECRET } from './support/auth.ts';
import { databaseEnv, dropDatabasesWithPrefix, uniquePrefix } from './support/databases.ts';
import { freePorts } from './support/ports.ts';
import { ServerProcess } from './support/serverProcess.ts';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

interface OtlpExport {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans?: Array<{ spans?: OtlpSpan[] }>;
  }>;
}

const prefix = uniquePrefix('otlp');
const received: Array<{ service: string | undefined; span: OtlpSpan }> = [];
let receiver: Server;
let receiverUrl: string;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const payload = JSON.parse(body) as OtlpExport;
        for (const resourceSpans of payload.resourceSpans ?? []) {
          const service = resourceSpans.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue;
          for (const scope of resourceSpans.scopeSpans ?? [])
            for (const span of scope.spans ?? []) received.push({ service, span });
        }
      }
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => receiver?.close(resolve));
  await dropDatabasesWithPrefix(prefix);
});

function usersProcess(port: number, otel: NodeJS.ProcessEnv): ServerProcess {
  return new ServerProcess('users process', 'subgraphs/users/src/index.ts', port, () => ({
    ...databaseEnv(prefix),
    [portVariable('users')]: String(port),
    HOST: '127.0.0.1',
    GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET,
    LOG_LEVEL: 'warn',
    ...otel,
  }));
}

const TRACE = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const PARENT = '1122334455667788';
const QUIET_TRACE = 'ffeeddccbbaa99887766554433221100';

describe('tracing over OTLP', () => {
  it('exports a subgraph process spans, joined to the caller by traceparent, when OTEL_* ask for it', async () => {
    const [port, quietPort] = await freePorts(2);
    const traced = usersProcess(port!, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '50',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    });
    // Pointed at the receiver too, but told not to trace: it must send nothing.
    const quiet = usersProcess(quietPort!, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
    try {
      await traced.start(240_000);
      await quiet.start(240_000);
      const headers = { ...gatewaySigned({ userId: null, client: 'web' }), traceparent: `00-${TRACE}-${PARENT}-01` };
      const query = 'query Users { users(first: 2) { totalCount } }';
      expect((await postToSubgraph(traced.url, query, {}, headers)).body.errors).toBeUndefined();
      const quietHeaders = { ...headers, traceparent: `00-${QUIET_TRACE}-${PARENT}-01` };
      expect((await postToSubgraph(quiet.url, query, {}, quietHeaders)).body.errors).toBeUndefined();

      const deadline = Date.now() + 60_000;
      const ours = () => received.filter((r) => r.span.traceId === TRACE);
      while (Date.now() < deadline && !ours().some((r) => r.span.name.startsWith('prisma:'))) await sleep(100);
      const server = ours().find((r) => r.span.name === 'query Users');
      expect(server, JSON.stringify(ours().map((r) => r.span.name))).toBeDefined();
      expect(server!.service).toBe('users');
      expect(server!.span.parentSpanId).toBe(PARENT);
      const sql = ours().filter((r) => r.span.name.startsWith('prisma:'));
      expect(sql.length).toBeGreaterThan(0);
      // Every span of the request is in the one trace, from the one process that traced it.
      expect(new Set(ours().map((r) => r.service))).toEqual(new Set(['users']));
      expect(ours().every((r) => r.span.parentSpanId)).toBe(true);
      await sleep(1000);
      expect(received.filter((r) => r.span.traceId === QUIET_TRACE)).toEqual([]);
    } finally {
      await traced.kill('SIGTERM');
      await quiet.kill('SIGTERM');
    }
  }, 600_000);
});
