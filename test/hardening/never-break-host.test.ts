import { PassThrough } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { context, type DiagLogger, DiagLogLevel, diag, propagation, SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { instrumentClient, instrumentServer, mcpInstrumentation } from '../../src/instrument/index.js';
import { metricViews } from '../../src/telemetry/index.js';

/**
 * An app whose arguments toolscope must not choke on: a circular object (which
 * only the SDK's own serialisation may refuse) and a 5 MB string, over a
 * transport that really serialises (the SDK's stdio framing on a pipe pair), with
 * every hook toolscope calls into throwing. The app must see exactly what it sees
 * without toolscope: the same results, and error objects of the same class,
 * message, code and origin.
 */

const HUGE = 5 * 1024 * 1024;
const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
const meterProvider = new MeterProvider({ views: metricViews(100) });
const diagnostics: string[] = [];
const collector: DiagLogger = {
  error: (message) => diagnostics.push(message),
  warn: (message) => diagnostics.push(message),
  info: () => {},
  debug: () => {},
  verbose: () => {},
};
const removers: Array<() => void> = [];

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  diag.setLogger(collector, DiagLogLevel.WARN);
  mcpInstrumentation().configure({
    tracer: tracerProvider.getTracer('test'),
    meter: meterProvider.getMeter('test'),
  });
});

afterAll(() => {
  for (const remove of removers.splice(0)) remove();
  context.disable();
  propagation.disable();
  diag.disable();
});

/** The client half of the SDK's stdio framing over a pair of streams (the server half is the SDK's own). */
class PipeClientTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  readonly #buffer = new ReadBuffer();

  constructor(
    readonly toServer: PassThrough,
    readonly fromServer: PassThrough,
  ) {}

  async start(): Promise<void> {
    this.fromServer.on('data', (chunk: Buffer) => {
      this.#buffer.append(chunk);
      for (let message = this.#buffer.readMessage(); message; message = this.#buffer.readMessage())
        this.onmessage?.(message);
    });
  }

  async send(message: JSONRPCMessage): Promise<void> {
    // Like the SDK's StdioClientTransport: serialise, then write (a circular message throws here).
    const line = serializeMessage(message);
    await new Promise<void>((resolve) =>
      this.toServer.write(line) ? resolve() : this.toServer.once('drain', resolve),
    );
  }

  async close(): Promise<void> {
    this.toServer.end();
    this.onclose?.();
  }
}

/** What the app saw of an outcome: the result, or the thrown error as class, message, code and origin. */
function settle(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (result) => ({ result }),
    (error: Error & { code?: unknown }) => ({
      thrown: error?.constructor?.name,
      message: error?.message,
      code: error?.code,
      origin: origin(error),
    }),
  );
}

/** The file the error's stack starts in (the first frame with a path: JSON.stringify itself has none). */
function origin(error: Error): string | undefined {
  for (const line of String(error?.stack ?? '').split('\n')) {
    const match = /\(?((?:file:\/\/)?\/[^():]+):\d+:\d+\)?$/.exec(line.trim());
    if (match) return match[1]?.replace(/^file:\/\//, '');
  }
  return undefined;
}

async function scenario(instrumented: boolean) {
  const server = new McpServer({ name: 'host-app', version: '1.0.0' });
  server.tool('size', { blob: z.any() }, async ({ blob }) => ({
    content: [
      { type: 'text' as const, text: `${typeof blob}:${typeof blob === 'string' ? blob.length : 'object'}` },
    ],
  }));
  server.tool('big', { bytes: z.number() }, async ({ bytes }) => ({
    content: [{ type: 'text' as const, text: 'y'.repeat(bytes) }],
  }));
  const client = new Client({ name: 'host-app', version: '1.0.0' });
  if (instrumented) {
    instrumentServer(server);
    instrumentClient(client);
  }
  const toServer = new PassThrough();
  const fromServer = new PassThrough();
  await Promise.all([
    server.connect(new StdioServerTransport(toServer, fromServer)),
    client.connect(new PipeClientTransport(toServer, fromServer)),
  ]);

  const circular: Record<string, unknown> = { name: 'loop' };
  circular.self = circular;
  const nested: Record<string, unknown> = { list: [1, 2, { deeper: circular }] };
  const out = {
    circular: await settle(client.callTool({ name: 'size', arguments: { blob: circular } })),
    nestedCircular: await settle(client.callTool({ name: 'size', arguments: nested })),
    // The session is still usable after the refusal.
    after: await settle(client.callTool({ name: 'size', arguments: { blob: 'still here' } })),
    hugeArgument: await settle(client.callTool({ name: 'size', arguments: { blob: 'x'.repeat(HUGE) } })),
    hugeResult: await settle(client.callTool({ name: 'big', arguments: { bytes: HUGE } })),
    hugeBadArgument: await settle(client.callTool({ name: 'big', arguments: { bytes: 'z'.repeat(HUGE) } })),
  };
  // Spans ended before the connection closes (a span left open until close would say "connection closed").
  const endedBeforeClose = spans
    .getFinishedSpans()
    .filter((span) => span.name === 'tools/call size' && span.kind === SpanKind.CLIENT)
    .map((span) => span.attributes['error.type'] ?? 'ok');
  await client.close();
  await server.close();
  return { out, endedBeforeClose };
}

describe('an instrumented app with circular and huge arguments', () => {
  let plain: Awaited<ReturnType<typeof scenario>>['out'];

  beforeAll(async () => {
    plain = (await scenario(false)).out;
  });

  it('without toolscope: the SDK itself refuses the circular argument; 5 MB each way pass', () => {
    expect(plain.circular).toMatchObject({
      thrown: 'TypeError',
      message: expect.stringContaining('circular'),
    });
    expect((plain.circular as { origin: string }).origin).toMatch(/@modelcontextprotocol\/sdk\//);
    expect(plain.after).toEqual({ result: { content: [{ type: 'text', text: 'string:10' }] } });
    expect(plain.hugeArgument).toEqual({ result: { content: [{ type: 'text', text: `string:${HUGE}` }] } });
  });

  it('with toolscope: the same results and error objects, traced, and nothing for toolscope to complain about', async () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    spans.reset();
    diagnostics.length = 0;
    const started = performance.now();
    const { out: instrumented, endedBeforeClose } = await scenario(true);
    const ms = performance.now() - started;
    expect(instrumented).toEqual(plain);
    // The two calls whose arguments could not be serialised ended as send failures, at once.
    expect(endedBeforeClose.sort()).toEqual(['ok', 'ok', 'send_failed', 'send_failed']);
    // toolscope was really there: the calls were traced on both sides, context propagated.
    const names = spans.getFinishedSpans().map((span) => `${span.name} ${SpanKind[span.kind]}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'tools/call size CLIENT',
        'tools/call size SERVER',
        'tools/call big CLIENT',
        'tools/call big SERVER',
      ]),
    );
    expect(diagnostics).toEqual([]);
    console.log(`instrumented scenario (circular ×2, 5 MB each way): ${Math.round(ms)} ms`);
  });

  it('with every hook toolscope calls into throwing: still the same, each broken hook reported once', async () => {
    propagation.disable();
    propagation.setGlobalPropagator({
      inject: () => {
        throw new Error('inject exploded');
      },
      extract: () => {
        throw new Error('extract exploded');
      },
      fields: () => [],
    });
    const inProcess = mcpInstrumentation().inProcess;
    removers.push(
      inProcess.addStage({
        name: 'exploding-stage',
        handle: () => {
          throw new Error('stage exploded');
        },
      }),
      inProcess.addStage({
        name: 'late-exploding-stage',
        handle: async (call, next) => {
          await next(call);
          throw new Error('stage exploded after the handler');
        },
      }),
      inProcess.subscribe({
        onObservation: () => {
          throw new Error('observer exploded');
        },
      }),
    );
    diagnostics.length = 0;
    expect((await scenario(true)).out).toEqual(plain);
    for (const site of ['"exploding-stage"', '"late-exploding-stage"', 'call observer', 'telemetry failed'])
      expect(diagnostics.filter((line) => line.includes(site))).toHaveLength(1);
  });
});
