#!/usr/bin/env node
/**
 * The soak driver, shared by bench/soak.bench.mjs (1,000,000 calls) and
 * test/hardening/soak.test.ts (a CI-sized run in a child process).
 *
 * One ToolscopeRuntime (from dist/) as `toolscope gateway` builds it: the full
 * pipeline (validate, admission pools, guard, profiling, observe), telemetry
 * (Prometheus metrics with host/runtime metrics, TracingTransport on both hops),
 * the analyzer and the tuner, all with their defaults. The upstream is an SDK
 * McpServer served in process and the agent an SDK Client, both over the SDK's
 * InMemoryTransport (no child process, no sockets on the call path, so the run
 * measures toolscope rather than the pipes). With `traces`, spans are recorded and
 * exported over OTLP/HTTP to a sink in this process that accepts everything.
 *
 * Calls run in chunks of `sampleEvery` with `concurrency` in flight; between
 * chunks the driver scrapes /metrics, runs gc twice and samples the heap. Growth is
 * measured from the first sample at or after `warmup` calls. Active resources
 * (process.getActiveResourcesInfo()) are counted before anything starts and after
 * the gateway, telemetry and sink have stopped.
 *
 * Run directly (`node --expose-gc bench/lib/soak.mjs --calls 100000 --warmup 20000
 * --sample-every 10000`) it prints the result as JSON on stdout, progress on stderr.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { createServer, get as httpGet } from 'node:http';
import { resolve as resolvePath } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { trace } from '@opentelemetry/api';
import { z } from 'zod';

const ROOT = resolvePath(fileURLToPath(import.meta.url), '../../..');
const MiB = 1024 * 1024;

/** Counts of process.getActiveResourcesInfo() by type, e.g. { Timeout: 1, TCPServerWrap: 0 }. */
export function activeResources() {
  const counts = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** Open file descriptors and what they point at, sorted (Linux; undefined elsewhere). */
export function openFds() {
  let fds;
  try {
    fds = readdirSync('/proc/self/fd');
  } catch {
    return undefined;
  }
  const open = [];
  for (const fd of fds) {
    try {
      open.push(`${fd} ${readlinkSync(`/proc/self/fd/${fd}`)}`);
    } catch {
      // The directory listing's own descriptor, closed by now.
    }
  }
  return open.sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
}

function collect() {
  if (typeof globalThis.gc !== 'function') throw new Error('run node with --expose-gc');
  globalThis.gc();
  globalThis.gc();
}

/** An OTLP/HTTP endpoint that accepts every export (an empty protobuf/JSON response is a full success). */
async function startSink() {
  let requests = 0;
  let bytes = 0;
  const server = createServer((req, res) => {
    requests++;
    req.on('data', (chunk) => {
      bytes += chunk.length;
    });
    req.on('end', () => {
      const json = String(req.headers['content-type']).includes('json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : '');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stats: () => ({ requests, bytes }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** GET a URL without keep-alive (no pooled socket outlives the scrape); resolves to the body's size. */
function scrape(url) {
  return new Promise((resolve, reject) => {
    httpGet(url, { agent: false }, (res) => {
      let size = 0;
      res.on('data', (chunk) => {
        size += chunk.length;
      });
      res.on('end', () => resolve(size));
    }).on('error', reject);
  });
}

/** The in-process upstream: `echo`, which answers a tool error (isError: true) when asked to `fail`. */
const app = {
  async connect(transport) {
    const server = new McpServer({ name: 'soak', version: '1.0.0' });
    server.registerTool(
      'echo',
      {
        description: 'Echo a message back (or fail with it).',
        inputSchema: { message: z.string(), fail: z.boolean().optional() },
      },
      async ({ message, fail }) =>
        fail
          ? { content: [{ type: 'text', text: `failed: ${message}` }], isError: true }
          : { content: [{ type: 'text', text: message }] },
    );
    await server.connect(transport);
  },
};

/**
 * Every 100th call is a tool error and every 100th (offset by 50) names a tool that
 * does not exist (the JSON-RPC error -32602 with the closest names): error paths
 * must not leak either. (One error in a hundred keeps the tool's breaker closed.)
 */
async function call(client, i) {
  const message = `m${i}`;
  if (i % 100 === 50) {
    try {
      await client.callTool({ name: 'soak_echoo', arguments: { message } });
    } catch (error) {
      if (error?.code === -32602) return 'unknown';
      throw error;
    }
    throw new Error(`call ${i}: an unknown tool was answered`);
  }
  const fail = i % 100 === 0;
  const result = await client.callTool({
    name: 'soak_echo',
    arguments: fail ? { message, fail } : { message },
  });
  const text = result.content?.[0]?.text;
  const expected = fail ? `failed: ${message}` : message;
  if (text !== expected || Boolean(result.isError) !== fail)
    throw new Error(`call ${i}: expected ${expected}, got ${JSON.stringify(result)}`);
  return fail ? 'toolError' : 'ok';
}

/**
 * Run the soak. Returns { setup, samples: [{ calls, seconds, heapUsed, rss, external }],
 * outcomes, resourcesStart, resourcesEnd, … } (bytes and seconds).
 */
export async function runSoak(options = {}) {
  const calls = options.calls ?? 1_000_000;
  const warmup = options.warmup ?? Math.round(calls / 10);
  const sampleEvery = options.sampleEvery ?? Math.round(calls / 50);
  const concurrency = options.concurrency ?? 16;
  const traces = options.traces ?? true;
  const onProgress = options.onProgress ?? (() => {});

  const { parseConfig, ToolscopeRuntime } = await import(
    pathToFileURL(resolvePath(ROOT, 'dist/index.js')).href
  );
  // The process's own stdio handles are created on first use (any ESM import of node:process
  // touches all three): create them now so they count at the start as at the end.
  for (const stream of [process.stdin, process.stdout, process.stderr]) stream.fd;
  // The first listen() of a process makes libuv reserve a descriptor (/dev/null, for the EMFILE
  // trick) for the loop's lifetime: listen once before counting, so that one is not counted as ours.
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  await new Promise((resolve) => probe.close(resolve));
  // Let whatever the process was doing before settle (a pending close request is not ours).
  await sleep(100);
  collect();
  const resourcesStart = activeResources();
  const fdsStart = openFds();
  const memoryStart = process.memoryUsage();

  const sink = traces ? await startSink() : undefined;
  // Defaults as `toolscope gateway` runs them; only ports are private and traces go to the sink.
  process.env.OTEL_EXPORTER_PROMETHEUS_PORT = '0';
  if (sink) process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `${sink.url}/v1/traces`;
  const config = parseConfig({ mcpServers: {} }, { env: {}, baseDir: ROOT });
  const runtime = new ToolscopeRuntime({
    config,
    inProcess: { soak: app },
    downstream: 'inproc',
    stateDir: null,
  });
  await runtime.start();
  const metricsUrl = await runtime.telemetry.metricsUrl();
  const [clientEnd, gatewayEnd] = InMemoryTransport.createLinkedPair();
  await runtime.gateway.connect(gatewayEnd);
  const client = new Client({ name: 'soak', version: '1.0.0' });
  await client.connect(clientEnd);

  const outcomes = { ok: 0, toolError: 0, unknown: 0 };
  const samples = [];
  let metricsBytes = 0;
  const started = performance.now();
  const sample = async (done) => {
    if (metricsUrl) metricsBytes = await scrape(metricsUrl);
    // Spans waiting in the batch processor's queue (up to 2,048) are live; export them first so the
    // samples do not depend on how full the queue happened to be.
    await trace.getTracerProvider().getDelegate?.().forceFlush?.();
    collect();
    const memory = process.memoryUsage();
    const s = {
      calls: done,
      seconds: (performance.now() - started) / 1000,
      heapUsed: memory.heapUsed,
      rss: memory.rss,
      external: memory.external,
    };
    samples.push(s);
    onProgress(s, { calls, warmup });
  };

  await sample(0);
  let done = 0;
  while (done < calls) {
    const end = Math.min(calls, done + sampleEvery);
    let next = done;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < end) outcomes[await call(client, next++)]++;
      }),
    );
    done = end;
    await sample(done);
  }
  const seconds = (performance.now() - started) / 1000;

  const sinkStats = sink?.stats();
  await client.close();
  await runtime.stop();
  await sink?.close();
  // Let closed handles finish closing (close callbacks run on the next turns of the loop).
  await sleep(100);
  collect();
  const resourcesEnd = activeResources();
  const fdsEnd = openFds();
  const memoryEnd = process.memoryUsage();

  const base = samples.find((s) => s.calls >= warmup) ?? samples[samples.length - 1];
  const after = samples.filter((s) => s.calls >= base.calls);
  const last = samples[samples.length - 1];
  return {
    setup: { calls, warmup, sampleEvery, concurrency, traces, node: process.version },
    seconds,
    callsPerSecond: calls / seconds,
    outcomes,
    samples,
    heapAtWarmup: base.heapUsed,
    heapAtEnd: last.heapUsed,
    heapGrowth: last.heapUsed - base.heapUsed,
    heapMaxGrowth: Math.max(...after.map((s) => s.heapUsed)) - base.heapUsed,
    // A transient high at the end of warm-up (e.g. export batches held by a slow backend) would hide
    // growth from the end-of-warm-up figure; this one starts from the lowest sample after it.
    heapGrowthFromLowest: last.heapUsed - Math.min(...after.map((s) => s.heapUsed)),
    heapSlopePer100k: slope(after.map((s) => [s.calls, s.heapUsed])) * 100_000,
    rssAtWarmup: base.rss,
    rssAtEnd: last.rss,
    rssMax: Math.max(...samples.map((s) => s.rss)),
    memoryStart: { heapUsed: memoryStart.heapUsed, rss: memoryStart.rss },
    memoryAfterStop: { heapUsed: memoryEnd.heapUsed, rss: memoryEnd.rss },
    metricsBytes,
    sink: sinkStats,
    resourcesStart,
    resourcesEnd,
    fdsStart,
    fdsEnd,
  };
}

/** Least-squares slope of y over x (0 with fewer than two points). */
function slope(points) {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** One progress line for stderr. */
export function progressLine(s, { calls, warmup }) {
  const rate = s.seconds > 0 ? Math.round(s.calls / s.seconds) : 0;
  const eta = rate > 0 ? Math.round((calls - s.calls) / rate) : undefined;
  const phase = s.calls < warmup ? ' (warm-up)' : '';
  return (
    `soak ${s.calls.toLocaleString('en-US')}/${calls.toLocaleString('en-US')} calls${phase}, ` +
    `${rate.toLocaleString('en-US')} calls/s, heap ${(s.heapUsed / MiB).toFixed(1)} MiB, ` +
    `rss ${(s.rss / MiB).toFixed(0)} MiB${eta === undefined ? '' : `, eta ${eta} s`}`
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolvePath(process.argv[1])).href) {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string' },
      warmup: { type: 'string' },
      'sample-every': { type: 'string' },
      concurrency: { type: 'string' },
      'no-traces': { type: 'boolean' },
    },
  });
  const number = (value) => (value === undefined ? undefined : Number(value));
  const result = await runSoak({
    calls: number(values.calls),
    warmup: number(values.warmup),
    sampleEvery: number(values['sample-every']),
    concurrency: number(values.concurrency),
    traces: !values['no-traces'],
    onProgress: (s, run) => process.stderr.write(`[soak] ${progressLine(s, run)}\n`),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
