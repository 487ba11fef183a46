#!/usr/bin/env node
// Where a hop's and an instrumentation's own work goes, per call, on the runtime that runs this script
// (run it once per runtime: `node bench/where-the-work-goes.mjs`, then with bench/runtimes' Node 24).
// Not part of `npm run bench`: it is the profile behind the candidate cuts, not a figure to track.
//
// Each subject runs with bench/lib/probe.mjs loaded: the stdio hops (bare forwarder, semconv forwarder,
// toolscope proxy and gateway, in front of the echo server, driven by an SDK client at 16 in flight)
// and the instrumentation bench's workers (client + server in one process, sequential calls). After a
// warm-up like the benchmarks', four measured windows per subject, one per probe mode: CPU and GC
// alone, CPU profile, allocation sampling, async resources counted. Prints markdown; `--json <file>` keeps the raw figures.
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuSpent, treeCpu } from './lib/processCpu.mjs';
import { BENCH_DIR, fmt, markdownTable, median, progress, ROOT, spread } from './lib/stats.mjs';
import { connectStdio } from './lib/stdioClient.mjs';

const CALLS = Number(process.env.PROBE_CALLS ?? 6000);
const IN_FLIGHT = 16;
const PROBE = join(BENCH_DIR, 'lib/probe.mjs');
const ECHO = join(BENCH_DIR, 'fixtures/echo-server.mjs');
const CLI = join(ROOT, 'dist/cli.js');
const node = process.execPath;
const dir = mkdtempSync(join(tmpdir(), 'toolscope-probe-'));
const gatewayConfig = join(dir, 'toolscope.json');
writeFileSync(gatewayConfig, JSON.stringify({ mcpServers: { bench: { command: node, args: [ECHO] } } }));
const quiet = { ...process.env, TOOLSCOPE_LOG_LEVEL: 'error', OTEL_EXPORTER_PROMETHEUS_PORT: '0' };
const MODES = ['plain', 'cpu', 'heap', 'async'];

const hops = [
  { name: 'bare forwarder', args: [join(BENCH_DIR, 'fixtures/forwarder.mjs'), node, ECHO], tool: 'echo' },
  {
    name: 'semconv forwarder',
    args: [join(BENCH_DIR, 'fixtures/semconv-forwarder.mjs'), node, ECHO],
    tool: 'echo',
  },
  { name: 'toolscope proxy', args: [CLI, 'proxy', '--', node, ECHO], env: quiet, tool: 'echo' },
  { name: 'toolscope gateway', args: [CLI, 'gateway', gatewayConfig], env: quiet, tool: 'bench_echo' },
];
const workers = [
  { name: 'in-process: minimal two-sided wrapper', variant: 'minimal-both' },
  { name: 'in-process: toolscope client + server', variant: 'toolscope' },
  { name: 'in-process: toolscope client only', variant: 'toolscope-client' },
  { name: 'in-process: Traceloop', variant: 'traceloop' },
];

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends SIGUSR2 to `pid` and waits for the probe's file (written when a window ends). */
async function windowOf(pid, out, work) {
  process.kill(pid, 'SIGUSR2');
  await wait(200);
  await work();
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 100; i++) {
    await wait(100);
    try {
      return JSON.parse(readFileSync(out, 'utf8'));
    } catch {}
  }
  throw new Error(`no probe result from ${pid}`);
}

async function burst(call, count) {
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < count) await call();
    }),
  );
}

async function probeHop(hop) {
  const results = {};
  for (const mode of MODES) {
    const out = join(dir, `${hop.name}-${mode}.json`);
    const { client, pid } = await connectStdio({
      command: node,
      args: ['--import', PROBE, ...hop.args],
      env: { ...(hop.env ?? process.env), PROBE_MODE: mode, PROBE_OUT: out },
      cwd: dir,
    });
    const call = () => client.callTool({ name: hop.tool, arguments: { message: 'hello' } });
    for (let i = 0; i < 200; i++) await call();
    await burst(call, 3000);
    results[mode] = await windowOf(pid, out, () => burst(call, CALLS));
    await client.close();
  }
  return results;
}

async function probeWorker(worker) {
  const results = {};
  for (const mode of MODES) {
    const out = join(dir, `${worker.variant}-${mode}.json`);
    const child = fork(join(BENCH_DIR, 'instrumentation.bench.mjs'), ['--worker', worker.variant], {
      cwd: ROOT,
      execArgv: ['--import', PROBE],
      env: { ...process.env, PROBE_MODE: mode, PROBE_OUT: out },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let reply;
    child.on('message', (message) => reply?.(message));
    const ask = (message) =>
      new Promise((resolve) => {
        reply = resolve;
        if (message) child.send(message);
      });
    await ask();
    for (let i = 0; i < 3; i++) await ask({ block: 1000 });
    results[mode] = await windowOf(child.pid, out, () => ask({ block: CALLS }));
    child.kill();
  }
  return results;
}

// Ablation: the hop's own CPU per call (from /proc, no probe loaded) with toolscope's layers taken
// away one at a time, next to the two forwarders, interleaved over rounds. What a layer costs is what
// cutting it (or sampling it) could save at most.
const ABLATION_ROUNDS = Number(process.env.PROBE_ABLATION_ROUNDS ?? 5);
function configFile(name, toolscope) {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ mcpServers: {}, toolscope }));
  return file;
}
async function traceSink() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
async function ablation() {
  const sink = await traceSink();
  const traced = {
    ...quiet,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${sink.address().port}/v1/traces`,
  };
  const proxy = (config, env = quiet) => ({
    args: [CLI, 'proxy', ...(config ? ['--config', config] : []), '--', node, ECHO],
    env,
  });
  const variants = [
    { name: 'bare forwarder', args: hops[0].args },
    { name: 'semconv forwarder (spans recorded)', args: hops[1].args },
    { name: 'toolscope proxy, default (spans not recorded: no trace exporter)', ...proxy() },
    { name: 'toolscope proxy, default + trace exporter (spans recorded)', ...proxy(undefined, traced) },
    {
      name: 'toolscope proxy, no analyzer',
      ...proxy(configFile('no-analysis', { analysis: { enabled: false } })),
    },
    {
      name: 'toolscope proxy, no profiler',
      ...proxy(configFile('no-profiling', { profiling: { mode: 'off' } })),
    },
    { name: 'toolscope proxy, no tuner', ...proxy(configFile('no-tuning', { tuning: { enabled: false } })) },
    {
      name: 'toolscope proxy, core only (no analyzer, profiler, tuner)',
      ...proxy(
        configFile('core', {
          analysis: { enabled: false },
          profiling: { mode: 'off' },
          tuning: { enabled: false },
        }),
      ),
    },
    {
      name: 'toolscope proxy, core only, OTEL_SDK_DISABLED (no spans, no metrics)',
      ...proxy(join(dir, 'core.json'), { ...quiet, OTEL_SDK_DISABLED: 'true' }),
    },
  ];
  const runs = new Map(variants.map((v) => [v.name, []]));
  for (let round = 0; round < ABLATION_ROUNDS; round++) {
    for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
      const { client, pid } = await connectStdio({
        command: node,
        args: variant.args,
        env: variant.env,
        cwd: dir,
      });
      const call = () => client.callTool({ name: 'echo', arguments: { message: 'hello' } });
      for (let i = 0; i < 200; i++) await call();
      await burst(call, 3000);
      const before = treeCpu(pid);
      await burst(call, 3000);
      runs.get(variant.name).push(cpuSpent(before, treeCpu(pid), 3000).own);
      await client.close();
    }
    progress(`ablation round ${round + 1}/${ABLATION_ROUNDS}`);
  }
  sink.close();
  return Object.fromEntries(runs);
}

// `--from <file>` prints what an earlier `--json <file>` kept, without measuring again.
const fromAt = process.argv.indexOf('--from');
const saved = fromAt > 0 ? JSON.parse(readFileSync(process.argv[fromAt + 1], 'utf8')) : undefined;
const all = saved?.subjects ?? {};
let ablations = saved?.ablations;
const version = saved?.version ?? process.version;
const calls = saved?.calls ?? CALLS;
// PROBE_PARTS=profile or =ablation runs one of the two parts.
const parts = (process.env.PROBE_PARTS ?? 'profile,ablation').split(',');
if (!saved) {
  for (const hop of parts.includes('profile') ? hops : []) {
    progress(`${hop.name} on ${process.version}`);
    all[hop.name] = await probeHop(hop);
  }
  for (const worker of parts.includes('profile') ? workers : []) {
    progress(`${worker.name} on ${process.version}`);
    all[worker.name] = await probeWorker(worker);
  }
  if (parts.includes('ablation')) {
    progress(`ablation on ${process.version}`);
    ablations = await ablation();
  }
  const jsonAt = process.argv.indexOf('--json');
  if (jsonAt > 0)
    writeFileSync(
      process.argv[jsonAt + 1],
      JSON.stringify({ version, calls, subjects: all, ablations }, null, 2),
    );
}

// CPU per call comes from the window without a profiler (every thread of the process). The CPU
// profile samples the main thread; its busy samples (all but idle) split that CPU by origin, so the
// split is an estimate (GC helper threads are counted in the total, not in the GC share).
const ORIGINS = ['toolscope', 'OpenTelemetry', 'MCP SDK', 'zod / ajv', 'Node internals / V8 builtins', 'GC'];
const rows = Object.entries(all).map(([name, r]) => {
  const cpu = r.plain.cpuMicros / calls;
  const busy = r.cpu.byOrigin.filter((o) => o.name !== '(idle)').reduce((sum, o) => sum + o.share, 0);
  const micros = (origin) => (cpu * (r.cpu.byOrigin.find((o) => o.name === origin)?.share ?? 0)) / busy;
  const other = cpu - ORIGINS.reduce((sum, origin) => sum + micros(origin), 0);
  return [
    name,
    fmt(cpu, 1),
    ...ORIGINS.map((origin) => fmt(micros(origin), 1)),
    fmt(other, 1),
    fmt(r.heap.allocatedBytes / calls / 1024, 1),
    fmt(((r.plain.gc.minor?.count ?? 0) * 1000) / calls, 2),
    fmt((r.async.asyncResources.PROMISE ?? 0) / calls, 1),
  ];
});
let text = `## Where the work goes (${version}, ${calls} calls per window)

CPU µs per call of the subject's process, split by where the code comes from (CPU-profile samples of the
main thread, idle left out; "other" is the rest: bench code, other packages, unattributed native code, other
threads). Allocation: V8's sampling heap profiler with collected objects included. Hops at 16 in flight;
in-process subjects are the instrumentation bench's workers (agent and server in one process, sequential).

${markdownTable(['subject', 'CPU µs/call', ...ORIGINS.map((o) => `${o} µs`), 'other µs', 'KiB allocated/call', 'scavenges / 1000 calls', 'promises/call'], rows)}
`;
if (ablations) {
  const base = median(ablations['toolscope proxy, default (spans not recorded: no trace exporter)']);
  text += `
Ablation: the hop process's own CPU per call (\`/proc\` schedstat, no probe), 3000 calls at ${IN_FLIGHT} in flight
after a warm-up, median of ${Object.values(ablations)[0].length} interleaved rounds (min–max). "vs default" is what taking the layer away saved.

${markdownTable(
  ['hop', 'CPU µs/call', 'rounds (min–max)', 'vs default µs'],
  Object.entries(ablations).map(([name, values]) => [
    name,
    fmt(median(values), 1),
    spread(values, 1),
    fmt(median(values) - base, 1),
  ]),
)}
`;
}
for (const [name, r] of Object.entries(all)) {
  const busy = r.cpu.byOrigin.filter((o) => o.name !== '(idle)').reduce((sum, o) => sum + o.share, 0);
  text += `\n### ${name}\n\nTop self time (share of busy samples): ${r.cpu.topFunctions
    .filter((f) => !f.name.startsWith('(idle)'))
    .slice(0, 14)
    .map((f) => `${f.name} ${fmt((100 * f.share) / busy, 1)} %`)
    .join('; ')}\n\nTop allocation sites (bytes/call): ${r.heap.topSites
    .slice(0, 14)
    .map((site) => `${site.name} ${fmt(site.bytes / calls, 0)}`)
    .join('; ')}\n\nAsync resources per call: ${Object.entries(r.async.asyncResources)
    .sort((a, b) => b[1] - a[1])
    .map(([type, n]) => `${type} ${fmt(n / calls, 1)}`)
    .join(', ')}\n`;
}
process.stdout.write(text);
