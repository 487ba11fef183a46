import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type ContentCapturePolicy,
  McpInstruments,
  metricViews,
  TracingTransport,
} from '../../src/telemetry/index.js';

const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
const tracer = tracerProvider.getTracer('test');
const metricsExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricsExporter, exportIntervalMillis: 60_000 });
const meterProvider = new MeterProvider({ readers: [reader], views: metricViews(100) });
const instruments = new McpInstruments(meterProvider.getMeter('test'));

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(() => {
  context.disable();
  propagation.disable();
});
beforeEach(() => spans.reset());

/** A client-side and a server-side tracing transport over a linked in-memory pair. */
async function linkedPair(capture?: ContentCapturePolicy) {
  const [clientEnd, serverEnd] = InMemoryTransport.createLinkedPair();
  const client = new TracingTransport(clientEnd, {
    tracer,
    instruments,
    role: 'client',
    network: { transport: 'inproc' },
    service: 'svc',
    capture,
  });
  const server = new TracingTransport(serverEnd, {
    tracer,
    instruments,
    role: 'server',
    network: { transport: 'pipe' },
    capture,
  });
  const atServer: JSONRPCMessage[] = [];
  const atClient: JSONRPCMessage[] = [];
  server.onmessage = (message) => {
    atServer.push(message);
  };
  client.onmessage = (message) => {
    atClient.push(message);
  };
  await client.start();
  await server.start();
  return { client, server, atServer, atClient };
}

async function histogramCount(
  name: string,
  filter: (attributes: Record<string, unknown>) => boolean,
): Promise<number> {
  const { resourceMetrics } = await reader.collect();
  let count = 0;
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== name) continue;
      for (const point of metric.dataPoints) {
        if (filter(point.attributes as Record<string, unknown>))
          count += (point.value as { count: number }).count;
      }
    }
  }
  return count;
}

describe('TracingTransport', () => {
  it('puts the protocol version on the initialize span that negotiated it, and on every span after', async () => {
    const { client, server } = await linkedPair();
    await client.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} } as JSONRPCMessage);
    await server.send({
      jsonrpc: '2.0',
      id: 1,
      result: { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 's', version: '1' } },
    } as JSONRPCMessage);
    await client.send({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} } as JSONRPCMessage);
    await server.send({ jsonrpc: '2.0', id: 2, result: { tools: [] } } as JSONRPCMessage);
    const clientSpans = spans.getFinishedSpans().filter((span) => span.kind === SpanKind.CLIENT);
    expect(clientSpans.map((span) => [span.name, span.attributes['mcp.protocol.version']])).toEqual([
      ['initialize', '2025-11-25'],
      ['tools/list', '2025-11-25'],
    ]);
  });

  it('makes a CLIENT span for a sent request and a SERVER span for the received one, in one trace', async () => {
    const { client, server, atServer } = await linkedPair();
    const request = {
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'get_weather', arguments: { city: 'Oslo' } },
    } as const;
    await client.send(request as JSONRPCMessage);
    const received = atServer[0] as { params: { _meta: Record<string, string> } };
    expect(received.params._meta.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    // The caller's own object is never mutated.
    expect((request.params as Record<string, unknown>)._meta).toBeUndefined();
    await server.send({
      jsonrpc: '2.0',
      id: 7,
      result: { content: [{ type: 'text', text: 'sunny' }] },
    } as JSONRPCMessage);

    const finished = spans.getFinishedSpans();
    expect(finished).toHaveLength(2);
    const clientSpan = finished.find((span) => span.kind === SpanKind.CLIENT);
    const serverSpan = finished.find((span) => span.kind === SpanKind.SERVER);
    expect(clientSpan?.name).toBe('tools/call get_weather');
    expect(serverSpan?.name).toBe('tools/call get_weather');
    expect(serverSpan?.spanContext().traceId).toBe(clientSpan?.spanContext().traceId);
    expect(serverSpan?.parentSpanContext?.spanId).toBe(clientSpan?.spanContext().spanId);
    expect(clientSpan?.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'get_weather',
      'gen_ai.operation.name': 'execute_tool',
      'jsonrpc.request.id': '7',
      'network.transport': 'inproc',
      'toolscope.service': 'svc',
    });
    // Arguments are not recorded unless asked.
    expect(clientSpan?.attributes['gen_ai.tool.call.arguments']).toBeUndefined();
    expect(serverSpan?.status.code).toBe(SpanStatusCode.UNSET);
    expect(
      await histogramCount('mcp.server.operation.duration', (a) => a['gen_ai.tool.name'] === 'get_weather'),
    ).toBe(1);
    expect(
      await histogramCount('mcp.client.operation.duration', (a) => a['toolscope.service'] === 'svc'),
    ).toBeGreaterThan(0);
  });

  it('marks isError results as tool_error, with the first text as the status message only when results are captured', async () => {
    for (const capture of [undefined, { arguments: false, results: true, redactKeys: [], maxChars: 1000 }]) {
      spans.reset();
      const { client, server } = await linkedPair(capture);
      await client.send({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 't' },
      } as JSONRPCMessage);
      await server.send({
        jsonrpc: '2.0',
        id: 1,
        result: { content: [{ type: 'text', text: 'boom' }], isError: true },
      } as JSONRPCMessage);
      const finished = spans.getFinishedSpans();
      expect(finished).toHaveLength(2);
      for (const span of finished) {
        expect(span.attributes['error.type']).toBe('tool_error');
        // The error text is the tool's result: user data, recorded only when asked.
        expect(span.status.code).toBe(SpanStatusCode.ERROR);
        expect(span.status.message).toBe(capture ? 'boom' : undefined);
      }
    }
  });

  it('follows semconv for JSON-RPC errors: -32602 is an error for the client, not for the server', async () => {
    const { client, server } = await linkedPair();
    await client.send({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'nope' },
    } as JSONRPCMessage);
    await server.send({
      jsonrpc: '2.0',
      id: 2,
      error: { code: -32602, message: 'Unknown tool' },
    } as JSONRPCMessage);
    const serverSpan = spans.getFinishedSpans().find((span) => span.kind === SpanKind.SERVER);
    const clientSpan = spans.getFinishedSpans().find((span) => span.kind === SpanKind.CLIENT);
    expect(serverSpan?.attributes['rpc.response.status_code']).toBe('-32602');
    expect(serverSpan?.attributes['error.type']).toBeUndefined();
    expect(clientSpan?.attributes['error.type']).toBe('-32602');
    expect(clientSpan?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Unknown tool' });

    await client.send({
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'x' },
    } as JSONRPCMessage);
    await server.send({
      jsonrpc: '2.0',
      id: 3,
      error: { code: -32603, message: 'Internal error' },
    } as JSONRPCMessage);
    const internal = spans
      .getFinishedSpans()
      .filter((span) => span.kind === SpanKind.SERVER)
      .at(-1);
    expect(internal?.attributes['error.type']).toBe('-32603');
  });

  it('does not call a 2025-11-25 server refusing server/discover an error: that is how its revision is learned', async () => {
    const { client, server } = await linkedPair();
    await client.send({ jsonrpc: '2.0', id: 7, method: 'server/discover', params: {} } as JSONRPCMessage);
    await server.send({
      jsonrpc: '2.0',
      id: 7,
      error: { code: -32601, message: 'Method not found' },
    } as JSONRPCMessage);
    const probe = spans.getFinishedSpans().find((span) => span.kind === SpanKind.CLIENT);
    expect(probe?.name).toMatch(/^server\/discover/);
    expect(probe?.attributes['rpc.response.status_code']).toBe('-32601');
    expect(probe?.attributes['error.type']).toBeUndefined();
    expect(probe?.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('continues the caller’s trace from _meta, and from HTTP headers when _meta has none', async () => {
    const { server } = await linkedPair();
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    server.onmessage = () => {};
    const inner = (server as unknown as { inner: InMemoryTransport }).inner;
    inner.onmessage?.({
      jsonrpc: '2.0',
      id: 1,
      method: 'ping',
      params: { _meta: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } },
    } as JSONRPCMessage);
    inner.onmessage?.(
      { jsonrpc: '2.0', id: 2, method: 'ping' } as JSONRPCMessage,
      {
        requestInfo: { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } },
      } as never,
    );
    await server.send({ jsonrpc: '2.0', id: 1, result: {} } as JSONRPCMessage);
    await server.send({ jsonrpc: '2.0', id: 2, result: {} } as JSONRPCMessage);
    const [fromMeta, fromHeaders] = spans.getFinishedSpans();
    expect(fromMeta?.spanContext().traceId).toBe(traceId);
    expect(fromMeta?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(fromHeaders?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
  });

  it('runs the receiver inside the SERVER span so work it starts is a child', async () => {
    const { client, server } = await linkedPair();
    let active: string | undefined;
    server.onmessage = () => {
      active = trace.getActiveSpan()?.spanContext().spanId;
    };
    await client.send({ jsonrpc: '2.0', id: 9, method: 'ping' } as JSONRPCMessage);
    await server.send({ jsonrpc: '2.0', id: 9, result: {} } as JSONRPCMessage);
    const serverSpan = spans.getFinishedSpans().find((span) => span.kind === SpanKind.SERVER);
    expect(active).toBe(serverSpan?.spanContext().spanId);
  });

  it('traces notifications both ways and ends cancelled requests as cancelled', async () => {
    const { client, server } = await linkedPair();
    await client.send({ jsonrpc: '2.0', method: 'notifications/initialized' } as JSONRPCMessage);
    await client.send({
      jsonrpc: '2.0',
      id: 4,
      method: 'tools/call',
      params: { name: 'slow' },
    } as JSONRPCMessage);
    await client.send({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 4 },
    } as JSONRPCMessage);
    await new Promise((resolve) => setImmediate(resolve));
    const names = spans.getFinishedSpans().map((span) => `${span.kind}:${span.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        '2:notifications/initialized',
        '1:notifications/initialized',
        '2:notifications/cancelled',
      ]),
    );
    const cancelled = spans.getFinishedSpans().filter((span) => span.name === 'tools/call slow');
    expect(cancelled).toHaveLength(2);
    for (const span of cancelled) expect(span.attributes['error.type']).toBe('cancelled');
    void server;
  });

  it('ends spans still open when the connection closes, and records the session duration', async () => {
    const { client } = await linkedPair();
    await client.send({
      jsonrpc: '2.0',
      id: 5,
      method: 'tools/call',
      params: { name: 'never' },
    } as JSONRPCMessage);
    await client.close();
    const orphan = spans
      .getFinishedSpans()
      .find((span) => span.kind === SpanKind.CLIENT && span.name === 'tools/call never');
    expect(orphan?.attributes['error.type']).toBe('connection_closed');
    expect(await histogramCount('mcp.client.session.duration', () => true)).toBeGreaterThan(0);
  });

  it('records arguments and results only when asked, redacting configured keys', async () => {
    const [clientEnd, serverEnd] = InMemoryTransport.createLinkedPair();
    const capture = { arguments: true, results: true, redactKeys: ['password'], maxChars: 60 };
    const client = new TracingTransport(clientEnd, {
      tracer,
      instruments,
      role: 'client',
      network: { transport: 'inproc' },
      capture,
    });
    serverEnd.onmessage = () => {};
    await client.start();
    await serverEnd.start();
    await client.send({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'login', arguments: { user: 'ada', password: 'hunter2' } },
    } as JSONRPCMessage);
    serverEnd.onmessage = undefined;
    await serverEnd.send({
      jsonrpc: '2.0',
      id: 1,
      result: { content: [{ type: 'text', text: 'x'.repeat(200) }] },
    } as JSONRPCMessage);
    const span = spans.getFinishedSpans()[0];
    expect(span?.attributes['gen_ai.tool.call.arguments']).toBe('{"user":"ada","password":"[REDACTED]"}');
    expect(String(span?.attributes['gen_ai.tool.call.result'])).toMatch(/…\[truncated\]$/);
  });

  it('puts a server’s progress without trace context into the trace of the request it reports on (issue 17, defect 13)', async () => {
    const [clientEnd, serverEnd] = InMemoryTransport.createLinkedPair();
    const client = new TracingTransport(clientEnd, {
      tracer,
      instruments,
      role: 'client',
      network: { transport: 'pipe' },
      service: 'svc',
    });
    client.onmessage = () => {};
    await client.start();
    await serverEnd.start();
    await client.send({
      jsonrpc: '2.0',
      id: 9,
      method: 'tools/call',
      params: { name: 'long', _meta: { progressToken: 'p9' } },
    } as JSONRPCMessage);
    // The server (not instrumented) reports twice, with no traceparent of its own, then answers.
    for (const progress of [1, 2]) {
      await serverEnd.send({
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: 'p9', progress },
      } as JSONRPCMessage);
    }
    await serverEnd.send({ jsonrpc: '2.0', id: 9, result: { content: [] } } as JSONRPCMessage);
    await new Promise((resolve) => setImmediate(resolve));
    const finished = spans.getFinishedSpans();
    const call = finished.find((span) => span.name === 'tools/call long');
    const progress = finished.filter((span) => span.name === 'notifications/progress');
    expect(call).toBeDefined();
    expect(progress).toHaveLength(2);
    for (const span of progress) {
      expect(span.spanContext().traceId).toBe(call?.spanContext().traceId);
      expect(span.parentSpanContext?.spanId).toBe(call?.spanContext().spanId);
    }
  });

  it('never stops a message when telemetry itself fails', async () => {
    const [clientEnd, serverEnd] = InMemoryTransport.createLinkedPair();
    const broken = {
      startSpan: () => {
        throw new Error('tracer exploded');
      },
    } as never;
    const client = new TracingTransport(clientEnd, {
      tracer: broken,
      instruments,
      role: 'client',
      network: { transport: 'inproc' },
    });
    const seen: JSONRPCMessage[] = [];
    serverEnd.onmessage = (message) => {
      seen.push(message);
    };
    await client.start();
    await serverEnd.start();
    const request = { jsonrpc: '2.0', id: 1, method: 'ping' } as JSONRPCMessage;
    await client.send(request);
    expect(seen).toEqual([request]);
  });
});
