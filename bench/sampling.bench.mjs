#!/usr/bin/env node
// Issue 20: what tail sampling costs per call. A gateway call's telemetry — a SERVER span around a
// CLIENT span, each with the attributes toolscope sets, and the three latency histograms that carry
// exemplars — recorded in a loop, with the spans (a) dropped after recording, (b) exported over
// OTLP/HTTP through a BatchSpanProcessor as before issue 20, (c) through toolscope's TailSampler at
// ratio 1 (the default: every trace exported), (d) at ratio 0.02. One call in a hundred fails (kept
// whatever the ratio). The OTLP endpoint is a sink process that accepts and drops every export.
// Each variant runs in its own process; rounds interleave the variants; CPU µs per call (the
// worker's own CPU, export included: each block ends with a flush) as medians over the rounds.
import { fork, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_DIR, fmt, markdownTable, median, progress, ROOT, report } from './lib/stats.mjs';

const VARIANTS = ['recorded', 'batch', 'tail-all', 'tail-share'];
const LABELS = {
  recorded: 'spans recorded, not exported (reference)',
  batch: 'BatchSpanProcessor → OTLP/HTTP, every trace (before issue 20)',
  'tail-all': 'TailSampler at ratio 1 → OTLP/HTTP (the default: every trace)',
  'tail-share': 'TailSampler at ratio 0.02 → OTLP/HTTP (failed + slow + 2 % of the rest)',
};
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const CALLS = Number(process.env.BENCH_CALLS ?? 20_000);

async function worker(variant, url) {
  const api = await import('@opentelemetry/api');
  const { BasicTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  const { LocalHistograms, McpInstruments, ResilientSpanExporter, TailSampler } = await import(
    join(ROOT, 'dist/telemetry/index.js')
  );
  let exported = 0;
  const counting = (inner) => ({
    export(spans, done) {
      exported += spans.length;
      inner ? inner.export(spans, done) : done({ code: 0 });
    },
    shutdown: async () => {},
    forceFlush: async () => {},
  });
  // As toolscope runs it: failures of the backend are counted, never thrown at the caller.
  const otlp = () =>
    counting(
      new ResilientSpanExporter(new OTLPTraceExporter({ url: `${url}/v1/traces` }), {
        timeoutMs: 10_000,
        target: url,
      }),
    );
  const batch = variant === 'recorded' ? new BatchSpanProcessor(counting()) : new BatchSpanProcessor(otlp());
  const sampler = variant.startsWith('tail')
    ? new TailSampler({
        ratio: variant === 'tail-share' ? 0.02 : 1,
        keep: ['errors', 'anomalies', 'slow'],
        bufferSpans: 10_000,
        next: batch,
      })
    : undefined;
  const processor = sampler ?? batch;
  const tracer = new BasicTracerProvider({ spanProcessors: [processor] }).getTracer('toolscope');
  const histograms = new LocalHistograms({ name: 'toolscope' });
  histograms.setExemplarGate(sampler);
  const instruments = new McpInstruments(histograms);
  const callDuration = histograms.createHistogram('toolscope.call.duration', { unit: 's' });
  const attributes = {
    'mcp.method.name': 'tools/call',
    'gen_ai.tool.name': 'echo',
    'gen_ai.operation.name': 'execute_tool',
    'jsonrpc.request.id': '17',
    'network.transport': 'pipe',
    'mcp.protocol.version': '2025-11-25',
    'toolscope.service': 'bench',
  };
  const labels = { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'echo' };
  let n = 0;
  const call = () => {
    const server = tracer.startSpan('tools/call bench_echo', { kind: api.SpanKind.SERVER, attributes });
    const serverContext = api.trace.setSpan(api.ROOT_CONTEXT, server);
    const client = tracer.startSpan(
      'tools/call echo',
      { kind: api.SpanKind.CLIENT, attributes },
      serverContext,
    );
    const clientContext = api.trace.setSpan(api.ROOT_CONTEXT, client);
    client.end();
    instruments.clientOperation.record(0.001, labels, clientContext);
    server.setAttribute('toolscope.queue.wait', 0);
    if (++n % 100 === 0) server.setStatus({ code: api.SpanStatusCode.ERROR });
    server.end();
    instruments.serverOperation.record(0.0012, labels, serverContext);
    callDuration.record(0.0012, labels, serverContext);
  };
  process.on('message', async (message) => {
    if (message.calls) {
      const before = process.cpuUsage();
      const exportedBefore = exported;
      for (let i = 0; i < message.calls; i++) {
        call();
        // Paced (a pause every 25 calls) so exporting every trace keeps up: flat out, the batch
        // processor's queue overflows and drops spans, which would look cheap.
        if (i % 25 === 24) await new Promise((resolve) => setTimeout(resolve, 1));
      }
      await processor.forceFlush();
      const used = process.cpuUsage(before);
      process.send({
        cpuPerCall: (used.user + used.system) / message.calls,
        exportedPerCall: (exported - exportedBefore) / message.calls,
      });
    }
  });
  process.send({ ready: true });
}

async function driver() {
  const sink = spawn(process.execPath, [join(BENCH_DIR, 'fixtures/otlp-sink.mjs')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve) => {
    let text = '';
    sink.stdout.on('data', (chunk) => {
      text += chunk;
      const match = /listening (\d+)/.exec(text);
      if (match) resolve(match[1]);
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const workers = new Map();
  const replies = new Map();
  for (const variant of VARIANTS) {
    const child = fork(fileURLToPath(import.meta.url), ['--worker', variant, url], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (message) => replies.get(variant)?.(message));
    workers.set(variant, child);
  }
  const ask = (variant, message) =>
    new Promise((resolve) => {
      replies.set(variant, resolve);
      if (message) workers.get(variant).send(message);
    });
  await Promise.all(VARIANTS.map((variant) => ask(variant)));
  for (const variant of VARIANTS) await ask(variant, { calls: CALLS }); // warm-up
  const cpu = Object.fromEntries(VARIANTS.map((variant) => [variant, []]));
  const exported = Object.fromEntries(VARIANTS.map((variant) => [variant, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]);
    for (const variant of order) {
      const reply = await ask(variant, { calls: CALLS });
      cpu[variant].push(reply.cpuPerCall);
      exported[variant].push(reply.exportedPerCall);
    }
    progress(`round ${round + 1}/${ROUNDS}`);
  }
  for (const child of workers.values()) child.kill();
  sink.kill('SIGTERM');

  const of = (variant) => median(cpu[variant]);
  const recorded = of('recorded');
  const rows = VARIANTS.map((variant) => [
    LABELS[variant],
    fmt(of(variant), 1),
    `${fmt(of(variant) - recorded, 1)}`,
    `${fmt(of(variant) / of('batch'))}×`,
    fmt(median(exported[variant]), 3),
  ]);
  report(
    'sampling',
    `## Tail sampling: cost per call (\`bench/sampling.bench.mjs\`)

One gateway call's telemetry, recorded ${CALLS.toLocaleString('en')} times per block: a SERVER span around a CLIENT span
with toolscope's attributes, and the three latency histograms that carry exemplars
(\`mcp.client.operation.duration\`, \`mcp.server.operation.duration\`, \`toolscope.call.duration\`). One call in 100
fails. Spans go to an OTLP/HTTP endpoint (a sink process that drops what it gets) through a BatchSpanProcessor
directly, or through toolscope's \`TailSampler\` in front of it. CPU µs per call of the process that records and
exports (serialising and sending included: each block ends with a flush), medians of ${ROUNDS} interleaved
rounds, each variant in its own process.

${markdownTable(['variant', 'CPU µs/call', 'over recording alone', 'vs exporting every trace', 'spans exported per call'], rows)}

Recording a call costs ${fmt(recorded, 1)} µs here; exporting every trace adds ${fmt(of('batch') - recorded, 1)} µs. The tail sampler at
ratio 1 adds ${fmt(of('tail-all') - of('batch'), 1)} µs to that (the decision at the root, the sampling reason on it, exemplars on
three histograms). At ratio 0.02 every call is still recorded and judged, its spans wait for its root, and only
failed, slow and 2 % of ordinary traces are serialised and sent: ${fmt(of('tail-share'), 1)} µs per call,
${fmt((100 * of('tail-share')) / of('batch'), 0)} % of exporting everything.
`,
  );
}

if (process.argv[2] === '--worker') await worker(process.argv[3], process.argv[4]);
else await driver();
