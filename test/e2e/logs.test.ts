import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, FIXTURE, httpClient, startHttpGateway, textOf, writeConfig } from './helpers.js';

/**
 * Issue 11 acceptance: toolscope's logs are JSON lines; at `debug` every line
 * written inside a traced call carries that call's `trace_id`/`span_id`; at the
 * default level nothing is logged per call; with `OTEL_LOGS_EXPORTER=otlp` the
 * records also go over OTLP, correlated with the spans.
 */

interface Received {
  spans: Array<{ name: string; kind: number; traceId: string; spanId: string }>;
  logs: Array<{ body: string; traceId: string; spanId: string; severityText: string }>;
}

/** OTLP/HTTP JSON receiver for traces and logs. */
async function startReceiver(): Promise<{ server: Server; url: string; received: Received }> {
  const received: Received = { spans: [], logs: [] };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
      if (req.url === '/v1/traces') {
        for (const resource of body.resourceSpans ?? [])
          for (const scope of resource.scopeSpans ?? []) received.spans.push(...(scope.spans ?? []));
      } else if (req.url === '/v1/logs') {
        for (const resource of body.resourceLogs ?? [])
          for (const scope of resource.scopeLogs ?? [])
            for (const record of scope.logRecords ?? [])
              received.logs.push({
                body: record.body?.stringValue ?? '',
                traceId: record.traceId ?? '',
                spanId: record.spanId ?? '',
                severityText: record.severityText ?? '',
              });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

function jsonLines(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let debugGateway: Awaited<ReturnType<typeof startHttpGateway>>;
let quietGateway: Awaited<ReturnType<typeof startHttpGateway>>;

beforeAll(async () => {
  receiver = await startReceiver();
  const config = await writeConfig({
    mcpServers: { fixture: { command: process.execPath, args: [FIXTURE] } },
  });
  [debugGateway, quietGateway] = await Promise.all([
    startHttpGateway(config, [], {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_BLRP_SCHEDULE_DELAY: '100',
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_EXPORTER_PROMETHEUS_PORT: '0',
      TOOLSCOPE_LOG_LEVEL: 'debug',
    }),
    startHttpGateway(config, [], { OTEL_EXPORTER_PROMETHEUS_PORT: '0', TOOLSCOPE_LOG_LEVEL: 'info' }),
  ]);
}, 300_000);

afterAll(async () => {
  await Promise.all([debugGateway?.stop(), quietGateway?.stop()]);
  receiver?.server.closeAllConnections();
  await new Promise<void>((resolve) => receiver?.server.close(() => resolve()));
});

describe('structured logs', () => {
  it('a debug line inside a traced call carries its trace id and span id', async () => {
    const { client, close } = await httpClient(`${debugGateway.url}/mcp`);
    try {
      expect(textOf(await client.callTool({ name: 'fixture_echo', arguments: { message: 'logged' } }))).toBe(
        'logged',
      );
    } finally {
      await close();
    }
    const line = await eventually(() => {
      const found = jsonLines(debugGateway.stderr()).find((l) => l.msg === 'tool call' && l.tool === 'echo');
      if (!found) throw new Error('no call line yet');
      return found;
    });
    expect(line).toMatchObject({ level: 'debug', name: 'toolscope', service: 'fixture', outcome: 'success' });
    const server = await eventually(() => {
      const found = receiver.received.spans.find((s) => s.name === 'tools/call fixture_echo' && s.kind === 2);
      if (!found) throw new Error('no server span yet');
      return found;
    });
    expect(line.trace_id).toBe(server.traceId);
    expect(line.span_id).toBe(server.spanId);
    // The same record, exported over OTLP, is correlated with the span.
    const exported = await eventually(() => {
      const found = receiver.received.logs.find(
        (l) => l.body === 'tool call' && l.traceId === server.traceId,
      );
      if (!found) throw new Error('no exported log record yet');
      return found;
    });
    expect(exported).toMatchObject({ spanId: server.spanId, severityText: 'DEBUG' });
  });

  it('logs nothing per call at the default level', async () => {
    const { client, close } = await httpClient(`${quietGateway.url}/mcp`);
    try {
      for (let i = 0; i < 5; i++)
        await client.callTool({ name: 'fixture_echo', arguments: { message: `m${i}` } });
    } finally {
      await close();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    const lines = jsonLines(quietGateway.stderr());
    expect(lines.filter((l) => l.msg === 'tool call')).toEqual([]);
    expect(lines.every((l) => ['info', 'warn', 'error', 'fatal'].includes(String(l.level)))).toBe(true);
  });
});

describe('one log format per process, from start to stop (issue 18, item 6)', () => {
  let taken: Server;
  let takenPort: number;

  beforeAll(async () => {
    // A Prometheus port the user chose, taken: a warning from OpenTelemetry's diag, through toolscope's log.
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    takenPort = (taken.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => taken.close(() => resolve()));
  });

  /** A gateway's whole stderr at info: startup, the diag warning, a call, shutdown. */
  async function lifetime(format: 'json' | 'text'): Promise<string[]> {
    const config = await writeConfig({
      mcpServers: {
        fixture: { command: process.execPath, args: [FIXTURE] },
      },
    });
    const gateway = await startHttpGateway(config, [], {
      TOOLSCOPE_LOG_FORMAT: format,
      OTEL_EXPORTER_PROMETHEUS_PORT: String(takenPort),
    });
    try {
      const { client, close } = await httpClient(`${gateway.url}/mcp`);
      await client.callTool({ name: 'fixture_echo', arguments: { message: 'one' } });
      await close();
      await eventually(() => expect(gateway.stderr()).toMatch(/EADDRINUSE/));
    } finally {
      await gateway.stop();
    }
    return gateway
      .stderr()
      .split('\n')
      .filter((line) => line !== '');
  }

  it('JSON: every line is one JSON record with a level and a message', async () => {
    const lines = await lifetime('json');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) {
      const record = JSON.parse(line) as Record<string, unknown>;
      expect(record, line).toMatchObject({ level: expect.any(String), msg: expect.any(String) });
    }
    const records = lines.map((line) => JSON.parse(line) as { level: string; msg: string });
    expect(records.some((r) => r.level === 'warn' && r.msg.includes('EADDRINUSE'))).toBe(true);
    expect(records.some((r) => r.level === 'info' && r.msg.startsWith('gateway serving'))).toBe(true);
  });

  it('text: every line is `time level message`, none is JSON', async () => {
    const lines = await lifetime('text');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines)
      expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} (trace|debug|info |warn |error|fatal) \S/);
    expect(lines.some((line) => / warn {2}.*EADDRINUSE/.test(line))).toBe(true);
  });
});
