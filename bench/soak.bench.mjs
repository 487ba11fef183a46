#!/usr/bin/env node
import { progressLine, runSoak } from './lib/soak.mjs';
// Soak: 1,000,000 tool calls through the gateway (full pipeline, telemetry with traces exported,
// profiling, analyzer and tuner at their defaults; in-memory transports), heap sampled after gc
// every BENCH_SOAK_SAMPLE calls. Target: heap growth after warm-up ≤ 16 MiB, no handle left behind.
// The driver is bench/lib/soak.mjs (test/hardening/soak.test.ts runs a smaller soak with it).
import { fmt, markdownTable, progress, report } from './lib/stats.mjs';

const CALLS = Number(process.env.BENCH_SOAK_CALLS ?? 1_000_000);
const WARMUP = Number(process.env.BENCH_SOAK_WARMUP ?? Math.round(CALLS / 10));
const SAMPLE = Number(process.env.BENCH_SOAK_SAMPLE ?? Math.round(CALLS / 50));
const CONCURRENCY = 16;
const TARGET_MIB = 16;
const MiB = 1024 * 1024;

progress(
  `soak: ${CALLS.toLocaleString('en-US')} calls, ${CONCURRENCY} in flight, warm-up ${WARMUP.toLocaleString('en-US')}, heap sampled every ${SAMPLE.toLocaleString('en-US')}`,
);
const wall = performance.now();
const r = await runSoak({
  calls: CALLS,
  warmup: WARMUP,
  sampleEvery: SAMPLE,
  concurrency: CONCURRENCY,
  onProgress: (s, run) => progress(progressLine(s, run)),
});
const wallSeconds = (performance.now() - wall) / 1000;

const mib = (bytes, digits = 1) => fmt(bytes / MiB, digits);
const count = (n) => n.toLocaleString('en-US');
const resources = (counts) =>
  Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, n]) => `${type} × ${n}`)
    .join(', ') || 'none';
const newFds = (r.fdsEnd ?? []).filter((fd) => !r.fdsStart?.includes(fd));
const goneFds = (r.fdsStart ?? []).filter((fd) => !r.fdsEnd?.includes(fd));
const sameResources =
  resources(r.resourcesStart) === resources(r.resourcesEnd) && newFds.length === 0 && goneFds.length === 0;
const fdChange = [...newFds.map((fd) => `+ ${fd}`), ...goneFds.map((fd) => `− ${fd}`)].join(', ');
const growth = Math.max(r.heapGrowth, r.heapGrowthFromLowest);
const growthOk = growth <= TARGET_MIB * MiB;
const verdict = (ok) => (ok ? 'met' : '**missed**');

// Heap over calls: one bar per row, scaled from 0 to the largest sample (flat bars = no growth).
const rows = 20;
const step = Math.max(1, Math.round((r.samples.length - 1) / rows));
const warmupAt = r.samples.find((s) => s.calls >= WARMUP)?.calls;
const shown = r.samples.filter(
  (s, i) => i % step === 0 || i === r.samples.length - 1 || s.calls === warmupAt,
);
const top = Math.max(...shown.map((s) => s.heapUsed));
const width = 50;
const chart = shown
  .map((s) => {
    const bar = '█'.repeat(Math.max(1, Math.round((width * s.heapUsed) / top)));
    const mark = s.calls === warmupAt ? ' ← end of warm-up' : '';
    return `${count(s.calls).padStart(9)} │${bar} ${mib(s.heapUsed)}${mark}`;
  })
  .join('\n');

report(
  'soak',
  `## Soak: ${count(CALLS)} calls through the gateway

One \`ToolscopeRuntime\` as \`toolscope gateway\` builds it, with every default: pipeline (validation, pools,
guard with breakers, profiling, observe), telemetry (Prometheus metrics with host and runtime metrics,
spans on both hops exported over OTLP/HTTP to an in-process sink that accepts everything), analyzer and
tuner. The upstream is an SDK \`McpServer\` in process and the agent an SDK \`Client\`, both over the
SDK's \`InMemoryTransport\` (no child process or socket on the call path, so a million calls take minutes
and the figures are toolscope's own; the sink shares the event loop). At this rate the batch span processor's
queue (2,048 spans, the default) overflows, so most spans are dropped and counted, as in production.
${CONCURRENCY} calls in flight; one in a hundred is a tool error and one in a
hundred names an unknown tool (JSON-RPC -32602). Every ${count(SAMPLE)} calls the driver scrapes \`/metrics\`,
flushes queued spans, runs \`gc()\` twice and samples the heap; growth is measured from the end of the
warm-up (${count(WARMUP)} calls). Driver: \`bench/lib/soak.mjs\`; a 50,000-call version runs in CI
(\`test/hardening/soak.test.ts\`).

${markdownTable(
  ['measure', 'value'],
  [
    [
      'calls (ok / tool error / unknown tool)',
      `${count(CALLS)} (${count(r.outcomes.ok)} / ${count(r.outcomes.toolError)} / ${count(r.outcomes.unknown)})`,
    ],
    ['duration of the calls (whole bench)', `${fmt(r.seconds, 0)} s (${fmt(wallSeconds, 0)} s)`],
    ['calls/s', count(Math.round(r.callsPerSecond))],
    ['heap used after warm-up → at end', `${mib(r.heapAtWarmup)} → ${mib(r.heapAtEnd)} MiB`],
    ['heap growth after warm-up (largest)', `${mib(r.heapGrowth, 2)} MiB (${mib(r.heapMaxGrowth, 2)} MiB)`],
    ['heap growth from the lowest sample after warm-up to the end', `${mib(r.heapGrowthFromLowest, 2)} MiB`],
    ['heap trend after warm-up (least squares)', `${mib(r.heapSlopePer100k, 2)} MiB per 100k calls`],
    [
      'RSS after warm-up → at end (max)',
      `${mib(r.rssAtWarmup, 0)} → ${mib(r.rssAtEnd, 0)} MiB (${mib(r.rssMax, 0)} MiB)`,
    ],
    ['active resources at start', resources(r.resourcesStart)],
    ['active resources after stop', resources(r.resourcesEnd)],
    [
      'open file descriptors at start → after stop',
      r.fdsStart
        ? `${r.fdsStart.length} → ${r.fdsEnd.length}${fdChange ? ` (${fdChange})` : ' (the same)'}`
        : '—',
    ],
    ['/metrics size at end', `${fmt(r.metricsBytes / 1024, 0)} KiB`],
    [
      'span exports received by the sink',
      r.sink ? `${count(r.sink.requests)} (${mib(r.sink.bytes, 0)} MiB)` : '—',
    ],
  ],
)}

Heap used (MiB, after gc) over calls:

\`\`\`
${chart}
\`\`\`

Targets: heap growth after warm-up ≤ ${TARGET_MIB} MiB (the larger of the two growth figures) — ${mib(growth, 2)} MiB (${verdict(growthOk)});
active resources and open file descriptors after stop equal those at start — ${verdict(sameResources)}.
`,
  [
    {
      target: `footprint: heap growth over ${count(CALLS)} calls ≤ ${TARGET_MIB} MiB`,
      value: `${mib(growth, 2)} MiB`,
      spread: `largest after warm-up ${mib(r.heapMaxGrowth, 2)} MiB`,
      met: growthOk,
    },
  ],
);
