#!/usr/bin/env node
// Overhead of MCP instrumentation on one tool call: bare SDK Client → McpServer over InMemoryTransport,
// versus the same with toolscope's client + server instrumentation, @traceloop/instrumentation-mcp
// (its manuallyInstrument, defaults) and Sentry's MCP server integration (wrapMcpServerWithSentry).
//
// Each variant runs in its own worker process (the peers install global OpenTelemetry providers and
// would otherwise share them); the driver interleaves blocks of calls across the workers, so machine
// noise falls on all variants alike, and reports per-call medians. Spans go through a real
// BatchSpanProcessor into an exporter that counts and drops them; toolscope's metrics are recorded
// as `toolscope/register` sets them up: a real MeterProvider (views and cardinality limits as in
// production) whose reader also exports toolscope's own per-call histograms (LocalHistograms).
//
// Usage: npm run build && node bench/instrumentation.bench.mjs [--calls 400] [--blocks 30]
import { fork } from 'node:child_process';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { report, spread } from './lib/stats.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(HERE);
const VARIANTS = [
  'bare',
  'bare-context',
  'minimal',
  'minimal-both',
  'toolscope',
  'toolscope-client',
  'traceloop',
  'sentry',
];
const LABELS = {
  bare: 'bare SDK',
  'bare-context': 'reference: bare SDK, OTel context manager enabled (no spans)',
  minimal: 'reference: minimal OTel wrapper, server (1 span, 1 histogram)',
  'minimal-both': 'reference: minimal OTel wrappers, client + server (2 spans, 2 histograms, _meta)',
  toolscope: 'toolscope client + server',
  'toolscope-client': 'toolscope client only',
  traceloop: '@traceloop/instrumentation-mcp 0.27',
  sentry: '@sentry/node 11 wrapMcpServerWithSentry',
};

// Names in the targets table.
const SHORT = {
  toolscope: 'toolscope client + server',
  'minimal-both': 'the minimal two-sided wrapper',
  'toolscope-client': 'toolscope client only',
  traceloop: 'Traceloop',
};

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

// ── worker: one variant, answers {block: n} with per-call latencies (µs) ──

async function worker(variant) {
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { Server } = await import('@modelcontextprotocol/sdk/server/index.js');
  const { McpServer } = await import('@modelcontextprotocol/sdk/server/mcp.js');
  const { InMemoryTransport } = await import('@modelcontextprotocol/sdk/inMemory.js');
  const { z } = await import('zod');
  let spans = () => 0;
  let wrapServer = (server) => server;
  let wrapClient = (client) => client;
  let wrapHandler = (handler) => handler;

  if (variant === 'bare-context') {
    // What every OpenTelemetry user already pays before any span: once an AsyncLocalStorage has run,
    // Node 20 runs its promise hooks on every promise of the process (the SDK makes many per call).
    const api = await import('@opentelemetry/api');
    const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
    api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    api.context.with(api.ROOT_CONTEXT, () => {});
  } else if (variant.startsWith('toolscope') || variant.startsWith('minimal') || variant === 'traceloop') {
    const api = await import('@opentelemetry/api');
    const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
    const { W3CTraceContextPropagator } = await import('@opentelemetry/core');
    const { BasicTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
    let exported = 0;
    const exporter = {
      export(batch, done) {
        exported += batch.length;
        done({ code: 0 });
      },
      shutdown: async () => {},
      forceFlush: async () => {},
    };
    const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
    api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    api.trace.setGlobalTracerProvider(provider);
    spans = () => exported;
    if (variant.startsWith('minimal')) {
      // The floor any OpenTelemetry MCP instrumentation stands on: the same SDK, context manager and
      // propagator, and nothing but a span and a histogram sample around the call on each side it covers.
      const { MeterProvider, PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics');
      const meterProvider = new MeterProvider({
        readers: [
          new PeriodicExportingMetricReader({
            exporter: {
              export: (_m, done) => done({ code: 0 }),
              shutdown: async () => {},
              forceFlush: async () => {},
            },
            exportIntervalMillis: 10_000,
          }),
        ],
      });
      const tracer = provider.getTracer('minimal');
      const meter = meterProvider.getMeter('minimal');
      const attributes = { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'echo' };
      const serverDuration = meter.createHistogram('mcp.server.operation.duration', { unit: 's' });
      const clientDuration = meter.createHistogram('mcp.client.operation.duration', { unit: 's' });
      wrapHandler = (handler) => (args, extra) => {
        const start = performance.now();
        const parent = api.propagation.extract(api.ROOT_CONTEXT, extra?._meta ?? {});
        return tracer.startActiveSpan(
          'tools/call echo',
          { kind: api.SpanKind.SERVER, attributes },
          parent,
          async (span) => {
            try {
              return await handler(args, extra);
            } finally {
              span.end();
              serverDuration.record((performance.now() - start) / 1000, attributes);
            }
          },
        );
      };
      if (variant === 'minimal-both') {
        wrapClient = (client) => {
          const callTool = client.callTool.bind(client);
          client.callTool = (params, ...rest) => {
            const start = performance.now();
            return tracer.startActiveSpan(
              'tools/call echo',
              { kind: api.SpanKind.CLIENT, attributes },
              async (span) => {
                const meta = {};
                api.propagation.inject(api.context.active(), meta);
                try {
                  return await callTool({ ...params, _meta: meta }, ...rest);
                } finally {
                  span.end();
                  clientDuration.record((performance.now() - start) / 1000, attributes);
                }
              },
            );
          };
          return client;
        };
      }
    } else if (variant.startsWith('toolscope')) {
      const { MeterProvider, PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics');
      const { metricViews, LocalHistograms } = await import(join(ROOT, 'dist/telemetry/index.js'));
      const { mcpInstrumentation, instrumentClient, instrumentServer } = await import(
        join(ROOT, 'dist/instrument/index.js')
      );
      const metricExporter = {
        export: (_metrics, done) => done({ code: 0 }),
        shutdown: async () => {},
        forceFlush: async () => {},
      };
      const histograms = new LocalHistograms({ name: 'toolscope' }, { cardinalityLimit: 2000 });
      const meterProvider = new MeterProvider({
        views: metricViews(2000),
        readers: [
          new PeriodicExportingMetricReader({
            exporter: metricExporter,
            exportIntervalMillis: 10_000,
            metricProducers: [histograms],
          }),
        ],
      });
      mcpInstrumentation().configure({
        tracer: provider.getTracer('toolscope'),
        meter: meterProvider.getMeter('toolscope'),
        histograms,
      });
      wrapClient = instrumentClient;
      if (variant === 'toolscope') wrapServer = instrumentServer;
    } else {
      const { McpInstrumentation } = await import('@traceloop/instrumentation-mcp');
      const instrumentation = new McpInstrumentation();
      instrumentation.setTracerProvider(provider);
      instrumentation.manuallyInstrument({ Client, Server });
    }
  } else if (variant === 'sentry') {
    const Sentry = await import('@sentry/node');
    let received = 0;
    Sentry.init({
      dsn: 'https://public@o0.ingest.sentry.io/0',
      tracesSampleRate: 1,
      // Envelopes are counted and dropped here: nothing leaves the machine.
      transport: () => ({
        send: async (envelope) => {
          for (const [header, item] of envelope[1]) {
            // Sentry 11 streams span batches (`span` items, v2 format); older versions send transactions.
            if (header.type === 'span') received += Array.isArray(item?.items) ? item.items.length : 1;
            else if (header.type === 'transaction') received += 1 + (item.spans?.length ?? 0);
          }
          return {};
        },
        flush: async () => true,
      }),
    });
    spans = () => received;
    wrapServer = (server) => Sentry.wrapMcpServerWithSentry(server);
  }

  const server = wrapServer(new McpServer({ name: 'bench', version: '1.0.0' }));
  server.tool(
    'echo',
    { text: z.string() },
    wrapHandler(async ({ text }) => ({ content: [{ type: 'text', text }] })),
  );
  const client = wrapClient(new Client({ name: 'bench-client', version: '1.0.0' }));
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
  const args = { name: 'echo', arguments: { text: 'hello' } };

  process.on('message', async (message) => {
    if (message.block) {
      const samples = new Array(message.block);
      const cpu = process.cpuUsage();
      for (let i = 0; i < message.block; i++) {
        const start = performance.now();
        await client.callTool(args);
        samples[i] = (performance.now() - start) * 1000;
      }
      const used = process.cpuUsage(cpu);
      process.send({ samples, cpuPerCall: (used.user + used.system) / message.block });
    } else if (message.finish) {
      await new Promise((resolve) => setTimeout(resolve, 6000)); // one BatchSpanProcessor delay: spans counted
      process.send({ spans: spans() });
      await client.close();
      process.exit(0);
    }
  });
  process.send({ ready: true });
}

// ── driver ──

function percentile(values, q) {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

async function driver() {
  const calls = option('calls', 400);
  const blocks = option('blocks', 30);
  const workers = new Map();
  const replies = new Map();
  for (const variant of VARIANTS) {
    const child = fork(fileURLToPath(import.meta.url), ['--worker', variant], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    workers.set(variant, child);
    child.on('message', (message) => replies.get(variant)?.(message));
  }
  const ask = (variant, message) =>
    new Promise((resolve) => {
      replies.set(variant, resolve);
      if (message) workers.get(variant).send(message);
    });
  await Promise.all(VARIANTS.map((variant) => ask(variant)));
  for (const variant of VARIANTS) await ask(variant, { block: calls }); // warm-up, discarded
  const samples = Object.fromEntries(VARIANTS.map((variant) => [variant, []]));
  const blockMedians = Object.fromEntries(VARIANTS.map((variant) => [variant, []]));
  const cpuPerCall = Object.fromEntries(VARIANTS.map((variant) => [variant, []]));
  for (let block = 0; block < blocks; block++) {
    // Rotate the order so no variant always runs right after another.
    const order = VARIANTS.map((_, i) => VARIANTS[(i + block) % VARIANTS.length]);
    for (const variant of order) {
      const reply = await ask(variant, { block: calls });
      samples[variant].push(...reply.samples);
      blockMedians[variant].push(percentile(reply.samples, 0.5));
      cpuPerCall[variant].push(reply.cpuPerCall);
    }
    process.stderr.write(`[bench] block ${block + 1}/${blocks}\n`);
  }
  const spanCounts = Object.fromEntries(
    await Promise.all(
      VARIANTS.map(async (variant) => [variant, (await ask(variant, { finish: true })).spans]),
    ),
  );
  const totalCalls = calls * (blocks + 1);
  const bare = percentile(samples.bare, 0.5);
  const bareCpu = percentile(cpuPerCall.bare, 0.5);
  const p50Of = (variant) => percentile(samples[variant], 0.5);
  const cpuOf = (variant) => percentile(cpuPerCall[variant], 0.5);
  const rows = VARIANTS.map((variant) => {
    const p50 = percentile(samples[variant], 0.5);
    return [
      LABELS[variant],
      p50.toFixed(0),
      percentile(samples[variant], 0.99).toFixed(0),
      `${(p50 / bare).toFixed(2)}×`,
      `${(percentile(blockMedians[variant], 0.5) / percentile(blockMedians.bare, 0.5)).toFixed(2)}×`,
      percentile(cpuPerCall[variant], 0.5).toFixed(1),
      `${(percentile(cpuPerCall[variant], 0.5) / bareCpu).toFixed(2)}×`,
      (spanCounts[variant] / totalCalls).toFixed(2),
    ];
  });
  const header = [
    'variant',
    'p50 µs',
    'p99 µs',
    'p50 ratio',
    'block-median ratio',
    'CPU µs/call',
    'CPU ratio',
    'spans exported per call',
  ];
  // Each block's figure over the same block's figure of another variant (blocks of all variants run
  // back to back): how far one block strays, as the 10th–90th percentile of those ratios.
  const blockSpread = (variant, base, figures) =>
    spread(
      figures[variant].map((value, i) => value / figures[base][i]),
      2,
      0.1,
    );
  const target = (variant, base, bound, what) => {
    const [figure, figures, label] =
      what === 'p50' ? [p50Of, blockMedians, 'p50'] : [cpuOf, cpuPerCall, 'CPU per call'];
    const value = figure(variant) / figure(base);
    return {
      target: `instrumentation: ${SHORT[variant]} ${label} ≤ ${bound.toFixed(1)}× ${SHORT[base]}`,
      value: `${value.toFixed(2)}×`,
      spread: blockSpread(variant, base, figures),
      met: value <= bound,
    };
  };
  const targets = [
    target('toolscope', 'minimal-both', 1, 'p50'),
    target('toolscope', 'minimal-both', 1, 'CPU'),
    target('toolscope-client', 'traceloop', 1, 'p50'),
    target('toolscope-client', 'traceloop', 1, 'CPU'),
  ];
  const line = (cells) => `| ${cells.join(' | ')} |`;
  const markdown = `## MCP instrumentation overhead (one tools/call, in-memory transport)

Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}; ${blocks} interleaved blocks of ${calls} calls per variant
(after one warm-up block), each variant in its own process. Wall-clock latency per call; CPU µs/call is the worker's
own CPU time per call (median over blocks), which other load on the machine disturbs less. Spans go through a BatchSpanProcessor to an exporter
that counts and drops them (Sentry: a transport that counts and drops envelopes).

${[line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')}

Targets, each a ratio to a variant measured in the same run (in brackets the 10th–90th percentile of the same
ratio taken block by block):

${targets.map((t) => `- ${t.target}: ${t.value} (${t.spread}) — ${t.met ? 'met' : '**missed**'}`).join('\n')}

The minimal one-span server wrapper alone is ${(p50Of('minimal') / bare).toFixed(2)}× bare; the context manager alone, with no span at
all, is ${(p50Of('bare-context') / bare).toFixed(2)}× bare.

The two reference rows are what an instrumentation cannot go below with this SDK on Node ${process.version}: the same
tracer provider, AsyncLocalStorage context manager and W3C propagator, and only \`startActiveSpan\` plus one histogram
sample around the tool handler (server) or around \`callTool\` with the context injected into \`_meta\` (client).
toolscope client + server records a CLIENT and a SERVER span per call, propagates the trace context through
\`params._meta\`, records \`mcp.client.operation.duration\`, \`mcp.server.operation.duration\` and \`toolscope.call.duration\`,
and runs the tool handler through the in-process pipeline; "client only" is the same on the client side alone (what
Traceloop covers). Traceloop (defaults: \`traceContent\` on) records a client span per request plus a session span;
Sentry records the server side only.
`;
  report('instrumentation', markdown, targets);
}

if (process.argv[2] === '--worker') await worker(process.argv[3]);
else await driver();
