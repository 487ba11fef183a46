#!/usr/bin/env node
// Step 1 benchmark: what a toolscope hop costs.
// stdio: direct connection vs a bare forwarder (parse + re-serialise each line: the
// physical floor of any proxy hop) vs the forwarder with what the MCP semantic conventions ask of a
// hop (two spans, two histograms, `_meta`: the reference the targets are set against) vs
// `toolscope proxy` vs `toolscope gateway`.
// HTTP: direct Streamable HTTP vs the gateway's HTTP endpoint vs `mcp-proxy`, the last
// two in front of the same stdio server. Sequential and 16 in flight; medians over
// interleaved rounds.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { cpuSpent, treeCpu } from './lib/processCpu.mjs';
import {
  BENCH_DIR,
  fmt,
  markdownTable,
  median,
  percentile,
  progress,
  ROOT,
  report,
  spread,
} from './lib/stats.mjs';
import { connectStdio } from './lib/stdioClient.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 1500);
const CONCURRENT = Number(process.env.BENCH_CONCURRENT ?? 3000);
const IN_FLIGHT = 16;
const ECHO = join(BENCH_DIR, 'fixtures/echo-server.mjs');
const FORWARDER = join(BENCH_DIR, 'fixtures/forwarder.mjs');
const TRACED_FORWARDER = join(BENCH_DIR, 'fixtures/traced-forwarder.mjs');
const OTLP_SINK = join(BENCH_DIR, 'fixtures/otlp-sink.mjs');
const SEMCONV_FORWARDER = join(BENCH_DIR, 'fixtures/semconv-forwarder.mjs');
const SEMCONV = 'reference: semconv forwarder (2 spans, 2 histograms, _meta)';
const CLI = join(ROOT, 'dist/cli.js');
const MCP_PROXY = join(ROOT, 'node_modules/mcp-proxy/dist/bin/mcp-proxy.mjs');
// The SDK's HTTP client shares one AbortSignal across requests; toolscope's own fetch wrapper keeps
// Node from printing a MaxListenersExceededWarning per request past 1,500 (the bench's client is the SDK's).
const { quietSignalFetch } = await import(join(ROOT, 'dist/gateway/index.js'));
const node = process.execPath;

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'toolscope-bench-'));
const gatewayConfig = join(dir, 'toolscope.json');
writeFileSync(gatewayConfig, JSON.stringify({ mcpServers: { bench: { command: node, args: [ECHO] } } }));
// An ablation, not a target: the hop with its telemetry (spans, metrics) and execution control, but
// without the per-call analyzer, profiler and tuner, to show what those layers cost.
const coreConfig = join(dir, 'toolscope-core.json');
writeFileSync(
  coreConfig,
  JSON.stringify({
    mcpServers: {},
    toolscope: { analysis: { enabled: false }, profiling: { mode: 'off' }, tuning: { enabled: false } },
  }),
);

// Tail sampling (issue 20): every call recorded, 2 % of ordinary traces exported.
const sampledConfig = join(dir, 'toolscope-sampled.json');
writeFileSync(
  sampledConfig,
  JSON.stringify({ mcpServers: {}, toolscope: { telemetry: { sampling: { ratio: 0.02 } } } }),
);

/** Environment for toolscope processes: quiet, metrics on a private port (the default setup otherwise). */
async function toolscopeEnv() {
  return {
    ...process.env,
    TOOLSCOPE_LOG_LEVEL: 'error',
    OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
  };
}

const stdioScenarios = [
  { name: 'direct', tool: 'echo', hop: false, command: async () => ({ command: node, args: [ECHO] }) },
  {
    name: 'bare forwarder',
    tool: 'echo',
    command: async () => ({ command: node, args: [FORWARDER, node, ECHO] }),
  },
  {
    name: 'reference: forwarder + 1 span + 1 histogram',
    tool: 'echo',
    command: async () => ({ command: node, args: [TRACED_FORWARDER, node, ECHO] }),
  },
  {
    name: SEMCONV,
    tool: 'echo',
    command: async () => ({ command: node, args: [SEMCONV_FORWARDER, node, ECHO] }),
  },
  {
    name: 'toolscope proxy',
    tool: 'echo',
    command: async () => ({
      command: node,
      args: [CLI, 'proxy', '--', node, ECHO],
      env: await toolscopeEnv(),
    }),
  },
  {
    name: 'toolscope proxy, traces exported (OTLP)',
    tool: 'echo',
    command: async () => ({
      command: node,
      args: [CLI, 'proxy', '--', node, ECHO],
      env: { ...(await toolscopeEnv()), OTEL_EXPORTER_OTLP_ENDPOINT: await otlpSink() },
    }),
  },
  {
    name: 'toolscope proxy, traces exported at ratio 0.02',
    tool: 'echo',
    command: async () => ({
      command: node,
      args: [CLI, 'proxy', '--config', sampledConfig, '--', node, ECHO],
      env: { ...(await toolscopeEnv()), OTEL_EXPORTER_OTLP_ENDPOINT: await otlpSink() },
    }),
  },
  {
    name: 'toolscope proxy, core only',
    tool: 'echo',
    command: async () => ({
      command: node,
      args: [CLI, 'proxy', '--config', coreConfig, '--', node, ECHO],
      env: await toolscopeEnv(),
    }),
  },
  {
    name: 'toolscope gateway',
    tool: 'bench_echo',
    command: async () => ({
      command: node,
      args: [CLI, 'gateway', gatewayConfig],
      env: await toolscopeEnv(),
    }),
  },
];

async function connectStdioScenario(scenario) {
  const { command, args, env } = await scenario.command();
  // Every stdio path but `direct` is a hop process with the server as its child.
  return connectStdio({ command, args, env, cwd: dir });
}

/** Wait for a child to print a line matching `pattern`; returns the match. */
function waitFor(child, pattern, stream = 'stdout') {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`timeout waiting for ${pattern}: ${text}`)), 20_000);
    child[stream].on('data', (chunk) => {
      text += chunk;
      const match = pattern.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
  });
}

/** One OTLP/HTTP sink process for the paths that export traces, started on first use. */
let sink;
async function otlpSink() {
  if (!sink) {
    const child = spawn(node, [OTLP_SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
    sink = waitFor(child, /listening (\d+)/).then(([, port]) => ({ child, url: `http://127.0.0.1:${port}` }));
  }
  return (await sink).url;
}

async function stopChild(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const httpScenarios = [
  {
    name: 'direct HTTP',
    tool: 'echo',
    async start() {
      const child = spawn(node, [ECHO, 'http', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const [, port] = await waitFor(child, /listening (\d+)/);
      return { url: `http://127.0.0.1:${port}/mcp`, stop: () => stopChild(child) };
    },
  },
  {
    name: 'toolscope gateway (HTTP)',
    tool: 'bench_echo',
    async start() {
      const child = spawn(node, [CLI, 'gateway', gatewayConfig, '--http', '--port', '0'], {
        stdio: ['ignore', 'ignore', 'pipe'],
        // Where it serves is an info line.
        env: { ...(await toolscopeEnv()), TOOLSCOPE_LOG_LEVEL: 'info' },
      });
      const [, url] = await waitFor(child, /MCP at (http:\/\/\S+)\/mcp/, 'stderr');
      return { url: `${url}/mcp`, stop: () => stopChild(child) };
    },
  },
  {
    name: 'mcp-proxy',
    tool: 'echo',
    async start() {
      const port = await freePort();
      const child = spawn(
        node,
        [MCP_PROXY, '--port', String(port), '--host', '127.0.0.1', '--server', 'stream', '--', node, ECHO],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      child.stdout.on('data', () => {});
      child.stderr.on('data', () => {});
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        try {
          await fetch(`http://127.0.0.1:${port}/mcp`, { method: 'GET' });
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      return { url: `http://127.0.0.1:${port}/mcp`, stop: () => stopChild(child) };
    },
  },
];

async function connectHttp(url) {
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: quietSignalFetch }));
  return { client, close: () => client.close() };
}

/** `count` calls with IN_FLIGHT outstanding; returns the seconds they took. */
async function burst(call, count) {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < count) await call();
    }),
  );
  return (performance.now() - start) / 1000;
}

/**
 * Sequential latencies, then throughput with IN_FLIGHT calls outstanding. Every path is first
 * warmed up alike (200 sequential calls, then one unmeasured burst as large as the measured one),
 * so the figures are the steady state a long-running hop lives in, not its JIT warm-up: the first
 * thousands of calls through toolscope's larger code path run mostly unoptimised.
 */
async function measure({ client, pid }, tool, sequential, concurrent) {
  const call = () => client.callTool({ name: tool, arguments: { message: 'hello' } });
  for (let i = 0; i < 200; i++) await call();
  await burst(call, concurrent);
  const latencies = new Array(sequential);
  for (let i = 0; i < sequential; i++) {
    const start = performance.now();
    await call();
    latencies[i] = performance.now() - start;
  }
  const before = treeCpu(pid);
  const clientBefore = process.cpuUsage();
  const seconds = await burst(call, concurrent);
  const clientCpu = process.cpuUsage(clientBefore);
  const spent = cpuSpent(before, treeCpu(pid), concurrent);
  const cpu = spent && withTotal({ client: (clientCpu.user + clientCpu.system) / concurrent, ...spent });
  return {
    p50: percentile(latencies, 0.5) * 1000,
    p99: percentile(latencies, 0.99) * 1000,
    throughput: concurrent / seconds,
    // CPU per call during the measured burst, µs: this process (the client), and the tree under `pid`.
    cpu,
    cpuTotal: cpu?.total,
  };
}

function withTotal(cpu) {
  return { ...cpu, total: cpu.client + cpu.own + cpu.descendants };
}

async function runRounds(scenarios, open, sequential, concurrent) {
  const results = new Map(scenarios.map((s) => [s.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? scenarios : [...scenarios].reverse();
    for (const scenario of order) {
      const session = await open(scenario);
      try {
        results.get(scenario.name).push(await measure(session, scenario.tool, sequential, concurrent));
      } finally {
        await session.close();
      }
    }
    progress(`round ${round + 1}/${ROUNDS} done`);
  }
  return new Map(
    [...results].map(([name, runs]) => [
      name,
      {
        p50: median(runs.map((r) => r.p50)),
        p99: median(runs.map((r) => r.p99)),
        throughput: median(runs.map((r) => r.throughput)),
        cpu: medianCpu(runs),
        runs,
      },
    ]),
  );
}

/** Per-call CPU medians over the rounds (client, the process the client started, its descendants). */
function medianCpu(runs) {
  const cpu = runs.map((r) => r.cpu).filter(Boolean);
  if (cpu.length === 0) return undefined;
  const of = (key) => median(cpu.map((c) => c[key]));
  return { client: of('client'), own: of('own'), descendants: of('descendants'), total: of('total') };
}

/**
 * The spread of a path's ratio to `base` over the rounds (each round's figures divided by the same
 * round's base figures): how far one round may stray on this machine, next to the ratio of medians.
 */
function roundSpread(path, base, key, scale = 1, digits = 2) {
  return spread(
    path.runs.map((run, i) => (scale * run[key]) / base.runs[i][key]),
    digits,
  );
}

progress(`stdio: ${ROUNDS} rounds × (${SEQUENTIAL} sequential + ${CONCURRENT} at ${IN_FLIGHT} in flight)`);
const stdio = await runRounds(stdioScenarios, connectStdioScenario, SEQUENTIAL, CONCURRENT);
progress('HTTP');
const http = await runRounds(
  httpScenarios,
  async (scenario) => {
    const server = await scenario.start();
    const session = await connectHttp(server.url);
    return {
      client: session.client,
      close: async () => {
        await session.close();
        await server.stop();
      },
    };
  },
  Math.round(SEQUENTIAL / 2),
  Math.round(CONCURRENT / 2),
);

const direct = stdio.get('direct');
const forwarder = stdio.get('bare forwarder');
const semconv = stdio.get(SEMCONV);
const stdioRows = [...stdio].map(([name, r]) => [
  name,
  fmt(r.p50, 0),
  fmt(r.p99, 0),
  fmt(r.p50 / direct.p50),
  fmt(r.p50 / forwarder.p50),
  fmt(r.p50 / semconv.p50),
  fmt(r.throughput, 0),
  `${fmt((100 * r.throughput) / forwarder.throughput, 0)} %`,
  `${fmt((100 * r.throughput) / semconv.throughput, 0)} %`,
  `${roundSpread(r, semconv, 'p50')} · ${roundSpread(r, semconv, 'throughput', 100, 0)} %`,
]);
const hopless = new Set(stdioScenarios.filter((s) => s.hop === false).map((s) => s.name));
const refCpu = semconv.cpu;
const fwdCpu = forwarder.cpu;
const cpuRows =
  refCpu && fwdCpu
    ? [...stdio]
        .filter(([, r]) => r.cpu)
        .map(([name, r]) => [
          name,
          fmt(r.cpu.client, 1),
          hopless.has(name) ? '–' : fmt(r.cpu.own, 1),
          fmt(hopless.has(name) ? r.cpu.own : r.cpu.descendants, 1),
          fmt(r.cpu.total, 1),
          fmt(r.cpu.total / refCpu.total),
          `${fmt((100 * refCpu.total) / r.cpu.total, 0)} %`,
          `${fmt((100 * r.throughput) / semconv.throughput, 0)} %`,
          roundSpread(r, semconv, 'cpuTotal'),
        ])
    : [];
const directHttp = http.get('direct HTTP');
const httpRows = [...http].map(([name, r]) => [
  name,
  fmt(r.p50, 0),
  fmt(r.p99, 0),
  fmt(r.p50 / directHttp.p50),
  roundSpread(r, directHttp, 'p50'),
  fmt(r.throughput, 0),
  `${fmt((100 * r.throughput) / directHttp.throughput, 0)} %`,
]);
if (sink) await stopChild((await sink).child);

const proxy = stdio.get('toolscope proxy');
const exportAll = stdio.get('toolscope proxy, traces exported (OTLP)');
const exportShare = stdio.get('toolscope proxy, traces exported at ratio 0.02');
const core = stdio.get('toolscope proxy, core only');
const gateway = stdio.get('toolscope gateway');
const gatewayHttp = http.get('toolscope gateway (HTTP)');
const mcpProxy = http.get('mcp-proxy');

const ratio = (path, base, key) => path[key] / base[key];
const targets = [
  {
    target: 'stdio: proxy calls/s @16 ≥ 90 % of the semconv forwarder',
    value: `${fmt(100 * ratio(proxy, semconv, 'throughput'), 0)} %`,
    spread: `${roundSpread(proxy, semconv, 'throughput', 100, 0)} %`,
    met: ratio(proxy, semconv, 'throughput') >= 0.9,
  },
  {
    target: 'stdio: proxy p50 ≤ 1.1× the semconv forwarder',
    value: `${fmt(ratio(proxy, semconv, 'p50'))}×`,
    spread: roundSpread(proxy, semconv, 'p50'),
    met: ratio(proxy, semconv, 'p50') <= 1.1,
  },
  {
    target: 'stdio: gateway p50 ≤ 1.1× the semconv forwarder',
    value: `${fmt(ratio(gateway, semconv, 'p50'))}×`,
    spread: roundSpread(gateway, semconv, 'p50'),
    met: ratio(gateway, semconv, 'p50') <= 1.1,
  },
  {
    target: 'stdio (not a target): proxy CPU per call (client + hop + server) / semconv forwarder',
    value: proxy.cpu && refCpu ? `${fmt(proxy.cpu.total / refCpu.total)}×` : '–',
    spread: proxy.cpu && refCpu ? roundSpread(proxy, semconv, 'cpuTotal') : undefined,
  },
  {
    target: 'HTTP: gateway p50 ≤ 1.3× direct',
    value: `${fmt(ratio(gatewayHttp, directHttp, 'p50'))}×`,
    spread: roundSpread(gatewayHttp, directHttp, 'p50'),
    met: ratio(gatewayHttp, directHttp, 'p50') <= 1.3,
  },
];
const verdict = (t) => `${t.value} (${t.met ? 'met' : '**missed**'}; rounds ${t.spread})`;

report(
  'gateway',
  `## Proxy and gateway hop (step 1)

One trivial tool (\`echo\`) on an SDK \`McpServer\`, called by an SDK \`Client\`. Default toolscope
configuration (pipeline, execution control, telemetry with Prometheus metrics; traces not exported).
Medians of ${ROUNDS} interleaved rounds; latencies from ${SEQUENTIAL} sequential calls, throughput from
${CONCURRENT} calls with ${IN_FLIGHT} in flight, each path first warmed up alike (200 sequential calls and
one unmeasured burst of ${CONCURRENT} at ${IN_FLIGHT} in flight): steady state, not JIT warm-up. Every process
(client, hop, server) runs on ${process.version}. The last column divides each round's figure by the semconv
forwarder's in the same round and gives the lowest and highest: how much one round strays on this machine, next
to the ratio of the medians.

### stdio

${markdownTable(['path', 'p50 µs', 'p99 µs', 'p50 / direct', 'p50 / forwarder', 'p50 / semconv fwd', 'calls/s @16', 'of forwarder', 'of semconv fwd', 'per round vs semconv fwd: p50 · calls/s (min–max)'], stdioRows)}

Targets, against the semconv forwarder in the same run: proxy throughput ≥ 90 % — ${verdict(targets[0])};
proxy p50 ≤ 1.1× — ${verdict(targets[1])}; gateway p50 ≤ 1.1× — ${verdict(targets[2])}.

The semconv forwarder (\`bench/fixtures/semconv-forwarder.mjs\`) is the bare forwarder plus what the MCP semantic
conventions ask of a hop: per request a SERVER span (parent from \`params._meta\`) and a CLIENT span under it injected
into the forwarded \`params._meta\`, one \`mcp.server.operation.duration\` and one \`mcp.client.operation.duration\`
sample, the required attributes, spans through a BatchSpanProcessor to an exporter that drops them. It keeps
${fmt(100 * ratio(semconv, forwarder, 'throughput'), 0)} % of the bare forwarder's throughput at ${fmt(ratio(semconv, forwarder, 'p50'))}× its p50. The one-span reference
(\`traced-forwarder.mjs\`: one span, one histogram, no propagation) is kept from earlier runs for comparison. toolscope
here exports no traces (the default has no trace exporter), so its spans are not recorded while the reference's are:
the comparison favours toolscope by that much.

"core only" is an ablation, not a product setting: the same proxy with \`analysis.enabled: false\`,
\`profiling.mode: "off"\` and \`tuning.enabled: false\` (spans, metrics and execution control stay). It runs at
${fmt(ratio(core, semconv, 'p50'))}× the semconv forwarder's p50 and ${fmt(100 * ratio(core, semconv, 'throughput'), 0)} % of its throughput.

Traces (issue 20): the default proxy above exports no traces. With an OTLP endpoint (a sink process that accepts
and drops every export, standing in for the Collector) it records and exports both spans of every call; at
\`sampling.ratio\` 0.02 it still records every call, holds each call's spans until the call ends, and exports
failed, flagged, slow and 2 % of ordinary calls. ${
    exportAll.cpu && exportShare.cpu && proxy.cpu
      ? `Hop CPU per call: ${fmt(proxy.cpu.own, 1)} µs without traces, ${fmt(exportAll.cpu.own, 1)} µs exporting every trace
(+${fmt(exportAll.cpu.own - proxy.cpu.own, 1)} µs), ${fmt(exportShare.cpu.own, 1)} µs recording every call and exporting 2 % (+${fmt(exportShare.cpu.own - proxy.cpu.own, 1)} µs).`
      : ''
  } Throughput: ${fmt((100 * exportAll.throughput) / forwarder.throughput, 0)} % and ${fmt((100 * exportShare.throughput) / forwarder.throughput, 0)} % of the forwarder's, against
${fmt((100 * proxy.throughput) / forwarder.throughput, 0)} % without traces.

${
  cpuRows.length === 0
    ? ''
    : `### Where the CPU goes (stdio, ${IN_FLIGHT} in flight)

CPU per call during each measured burst (medians over the rounds; the hop and the server read from
\`/proc/*/task/*/schedstat\`): the client (this benchmark's SDK \`Client\`), the hop process, and the server
it runs (the total is each round's sum, then its median). This machine's ${availableParallelism()} CPUs are shared by all three, so a path's throughput follows
their total: the semconv forwarder's total divided by a path's total (the CPU-bound estimate) predicts the path's
share of its calls/s, next to the share measured. CPU per call is less disturbed by other load than wall time.

${markdownTable(['path', 'client µs', 'hop µs', 'server µs', 'total µs', 'total / semconv fwd', 'CPU-bound estimate', 'measured of semconv fwd', 'per round: total / semconv fwd (min–max)'], cpuRows)}

Keeping 90 % of the semconv forwarder's throughput allows a total of at most ${fmt(refCpu.total / 0.9, 0)} µs per call.
With client and server at what they cost behind it, that is a hop of at most
${fmt(refCpu.total / 0.9 - refCpu.client - refCpu.descendants, 0)} µs per call against the semconv forwarder's ${fmt(refCpu.own, 0)} µs and the bare
forwarder's ${fmt(fwdCpu.own, 0)} µs. toolscope's proxy spends ${proxy.cpu ? fmt(proxy.cpu.own, 0) : '?'} µs, and its server and client
${proxy.cpu ? fmt(proxy.cpu.client + proxy.cpu.descendants - refCpu.client - refCpu.descendants, 0) : '?'} µs more between them than behind the semconv forwarder.
`
}
### Streamable HTTP

${markdownTable(['path', 'p50 µs', 'p99 µs', 'p50 / direct', 'per round p50 / direct (min–max)', 'calls/s @16', 'of direct'], httpRows)}

Target: gateway p50 ≤ 1.3× direct HTTP — ${verdict(targets[4])};
mcp-proxy in the same run: ${fmt(ratio(mcpProxy, directHttp, 'p50'))}×.
`,
  targets,
);
