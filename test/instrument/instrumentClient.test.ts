import { Client as ClientV2, InMemoryTransport as InMemoryV2 } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { McpServer as McpServerV2 } from '@modelcontextprotocol/server';
import {
  type Context,
  context,
  type DiagLogger,
  DiagLogLevel,
  diag,
  propagation,
  SpanKind,
  type TextMapPropagator,
} from '@opentelemetry/api';
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
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  instrumentClient,
  instrumentServer,
  mcpInstrumentation,
  SDK_REQUEST,
} from '../../src/instrument/index.js';
import type { CallObservation, CallStage } from '../../src/pipeline/index.js';
import { McpInstruments, metricViews, TracingTransport } from '../../src/telemetry/index.js';

const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
const metricsExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricsExporter, exportIntervalMillis: 60_000 });
const meterProvider = new MeterProvider({ readers: [reader], views: metricViews(100) });
const diagnostics: string[] = [];
const collector: DiagLogger = {
  error: (message) => diagnostics.push(message),
  warn: () => {},
  info: () => {},
  debug: () => {},
  verbose: () => {},
};

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  diag.setLogger(collector, DiagLogLevel.ERROR);
  mcpInstrumentation().configure({
    tracer: tracerProvider.getTracer('test'),
    meter: meterProvider.getMeter('test'),
  });
});
afterAll(() => {
  context.disable();
  propagation.disable();
  diag.disable();
});
beforeEach(() => spans.reset());

const named = (name: string, kind: SpanKind): ReadableSpan[] =>
  spans.getFinishedSpans().filter((span) => span.name === name && span.kind === kind);

/** An SDK 1.x McpServer with an `echo` tool that records the `_meta` it was called with. */
function v1Server(seen: unknown[] = []) {
  const server = new McpServer({ name: 'fixture-server', version: '1.0.0' });
  server.tool('echo', { text: z.string() }, async ({ text }, extra) => {
    seen.push(extra._meta);
    return { content: [{ type: 'text' as const, text: `echo: ${text}` }] };
  });
  server.tool('slow', async (extra) => {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, 5000);
      extra.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(new Error('aborted'));
      });
    });
    return { content: [] };
  });
  return server;
}

async function connect(client: Client, server: McpServer) {
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
  return { clientTransport, serverTransport };
}

describe('instrumentClient / instrumentServer', () => {
  it('traces a client instrumented before connect and puts its trace context in params._meta', async () => {
    const seen: unknown[] = [];
    const server = v1Server(seen);
    const client = instrumentClient(new Client({ name: 'c', version: '1' }));
    await connect(client, server);
    await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
    const [call] = named('tools/call echo', SpanKind.CLIENT);
    expect(call?.attributes).toMatchObject({ 'gen_ai.tool.name': 'echo', 'network.transport': 'inproc' });
    const traceparent = (seen[0] as { traceparent?: string }).traceparent;
    expect(traceparent).toBe(`00-${call?.spanContext().traceId}-${call?.spanContext().spanId}-01`);
    // The server was not instrumented: no SERVER span, and the class patch did not opt it in.
    expect(named('tools/call echo', SpanKind.SERVER)).toHaveLength(0);
    await client.close();
  });

  it('traces a server instrumented after connect from its next request on', async () => {
    const server = v1Server();
    const client = new Client({ name: 'c', version: '1' });
    await connect(client, server);
    instrumentServer(server);
    await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
    const [handled] = named('tools/call echo', SpanKind.SERVER);
    expect(handled?.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'toolscope.service': 'fixture-server',
    });
    await client.close();
  });

  it('records each request once however often instrumentation is applied', async () => {
    const server = instrumentServer(instrumentServer(v1Server()));
    const client = instrumentClient(instrumentClient(new Client({ name: 'c', version: '1' })));
    await connect(client, server);
    instrumentClient(client);
    instrumentServer(server);
    await client.callTool({ name: 'echo', arguments: { text: 'once' } });
    expect(named('tools/call echo', SpanKind.CLIENT)).toHaveLength(1);
    expect(named('tools/call echo', SpanKind.SERVER)).toHaveLength(1);
    await client.close();
  });

  it('keeps the transport object the app passed (identity, instanceof)', async () => {
    const client = instrumentClient(new Client({ name: 'c', version: '1' }));
    const { clientTransport } = await connect(client, instrumentServer(v1Server()));
    expect(client.transport).toBe(clientTransport);
    expect(client.transport).toBeInstanceOf(InMemoryTransport);
    await client.close();
  });

  it('nests SERVER under CLIENT for the 2.x Client and McpServer', async () => {
    const server = instrumentServer(new McpServerV2({ name: 'v2-server', version: '1.0.0' }));
    server.registerTool('echo', { inputSchema: z.object({ text: z.string() }) }, async ({ text }) => ({
      content: [{ type: 'text', text }],
    }));
    const client = instrumentClient(new ClientV2({ name: 'c', version: '1' }));
    const [clientTransport, serverTransport] = InMemoryV2.createLinkedPair();
    await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
    await client.callTool({ name: 'echo', arguments: { text: 'v2' } });
    const [call] = named('tools/call echo', SpanKind.CLIENT);
    const [handled] = named('tools/call echo', SpanKind.SERVER);
    expect(handled?.parentSpanContext?.spanId).toBe(call?.spanContext().spanId);
    expect(handled?.attributes['toolscope.service']).toBe('v2-server');
    await client.close();
  });

  it('ends both spans as cancelled when the client aborts a call', async () => {
    const client = instrumentClient(new Client({ name: 'c', version: '1' }));
    await connect(client, instrumentServer(v1Server()));
    const controller = new AbortController();
    const call = client.callTool({ name: 'slow', arguments: {} }, undefined, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort('changed my mind');
    await expect(call).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (const kind of [SpanKind.CLIENT, SpanKind.SERVER]) {
      const [span] = named('tools/call slow', kind);
      expect(span?.attributes['error.type']).toBe('cancelled');
    }
    expect(named('notifications/cancelled', SpanKind.CLIENT)).toHaveLength(1);
    await client.close();
  });

  it('leaves transports toolscope already traces alone (no TracingTransport is traced twice)', async () => {
    const client = instrumentClient(new Client({ name: 'c', version: '1' }));
    const server = v1Server();
    const [clientEnd, serverEnd] = InMemoryTransport.createLinkedPair();
    const traced = new TracingTransport(clientEnd, {
      tracer: tracerProvider.getTracer('gateway'),
      instruments: new McpInstruments(meterProvider.getMeter('gateway')),
      role: 'client',
      network: { transport: 'inproc' },
    });
    await server.connect(serverEnd);
    // The gateway's own legs come wrapped already; a second layer would double every span.
    await client.connect(traced);
    await client.callTool({ name: 'echo', arguments: { text: 'once' } });
    expect(named('initialize', SpanKind.CLIENT)).toHaveLength(1);
    expect(named('tools/call echo', SpanKind.CLIENT)).toHaveLength(1);
    await client.close();
  });

  it('never throws for things that are not MCP SDK objects', () => {
    const odd = { connect: 1 };
    expect(instrumentClient(odd)).toBe(odd);
    expect(instrumentServer(Object.create(null))).toEqual({});
    expect(() => instrumentClient(null as never)).not.toThrow();
  });
});

describe('the in-process pipeline of instrumented servers', () => {
  const removers: Array<() => void> = [];
  afterEach(() => {
    for (const remove of removers.splice(0)) remove();
  });

  it('lets other capabilities add stages and observers that see every tool call', async () => {
    const observations: CallObservation[] = [];
    const seenByStage: string[] = [];
    const stage: CallStage = {
      name: 'probe',
      handle: (call, next) => {
        seenByStage.push((call.extensions[SDK_REQUEST] as { params: { name: string } }).params.name);
        return next(call);
      },
    };
    removers.push(mcpInstrumentation().inProcess.addStage(stage));
    removers.push(mcpInstrumentation().inProcess.subscribe({ onObservation: (o) => observations.push(o) }));
    const server = instrumentServer(v1Server());
    const client = new Client({ name: 'c', version: '1' });
    await connect(client, server);
    await client.callTool({ name: 'echo', arguments: { text: 'observed' } });
    expect(seenByStage).toEqual(['echo']);
    expect(observations).toHaveLength(1);
    expect(observations[0]).toMatchObject({
      ref: { service: 'fixture-server', tool: 'echo', key: 'fixture-server/echo' },
      outcome: 'success',
    });
    await client.close();
  });

  it('records toolscope.call.duration and mcp.*.operation.duration per tool', async () => {
    const client = instrumentClient(new Client({ name: 'c', version: '1' }));
    await connect(client, instrumentServer(v1Server()));
    await client.callTool({ name: 'echo', arguments: { text: 'measured' } });
    await reader.forceFlush();
    const names = new Set(
      metricsExporter
        .getMetrics()
        .flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics))
        .filter((metric) =>
          metric.dataPoints.some((point) => point.attributes['gen_ai.tool.name'] === 'echo'),
        )
        .map((metric) => metric.descriptor.name),
    );
    expect(names).toEqual(
      new Set(['toolscope.call.duration', 'mcp.client.operation.duration', 'mcp.server.operation.duration']),
    );
    await client.close();
  });

  it('gives the app the same results and errors when a stage, an observer or the propagator throws', async () => {
    const run = async () => {
      const client = instrumentClient(new Client({ name: 'c', version: '1' }));
      const server = instrumentServer(v1Server());
      server.tool('throws', async () => {
        throw new TypeError('from the handler');
      });
      await connect(client, server);
      const echo = await client.callTool({ name: 'echo', arguments: { text: 'same' } });
      const thrown = await client.callTool({ name: 'throws', arguments: {} });
      const missing = await client.readResource({ uri: 'nowhere://x' }).catch((error: unknown) => error);
      await client.close();
      return {
        echo,
        thrown,
        missing: { name: (missing as Error).name, message: (missing as Error).message },
      };
    };
    const calm = await run();
    diagnostics.length = 0;
    const hostile: TextMapPropagator = {
      inject: () => {
        throw new Error('inject exploded');
      },
      extract: (_context: Context) => {
        throw new Error('extract exploded');
      },
      fields: () => [],
    };
    propagation.disable();
    propagation.setGlobalPropagator(hostile);
    removers.push(() => {
      propagation.disable();
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    });
    removers.push(
      mcpInstrumentation().inProcess.addStage({
        name: 'exploding-stage',
        handle: () => {
          throw new Error('stage exploded');
        },
      }),
    );
    removers.push(
      mcpInstrumentation().inProcess.addStage({
        name: 'late-exploding-stage',
        handle: async (call, next) => {
          await next(call);
          throw new Error('stage exploded after the handler');
        },
      }),
    );
    removers.push(
      mcpInstrumentation().inProcess.subscribe({
        onObservation: () => {
          throw new Error('observer exploded');
        },
      }),
    );
    const hostileRun = await run();
    const again = await run();
    expect(hostileRun).toEqual(calm);
    expect(again).toEqual(calm);
    // Each broken hook was reported, each only once however many calls it broke.
    for (const site of ['"exploding-stage"', '"late-exploding-stage"', 'call observer', 'telemetry failed']) {
      expect(diagnostics.filter((line) => line.includes(site))).toHaveLength(1);
    }
  });
});
