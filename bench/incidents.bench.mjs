// The incident lab (issue 16): does toolscope's judgement help, and above all does it never harm?
// Each scenario runs a real `toolscope gateway` in front of real child-process MCP servers
// (bench/fixtures/incident-server.mjs: N workers, service time, errors, leak, CPU per call, changed on
// a schedule), driven by an open-loop Poisson load of four MCP clients with a deadline per call.
// Every scenario runs with the tuner on, with the static default limit, and (where the pool limit
// binds at all) with a sweep of static limits; the analyzer's episodes and alerts are read from the
// gateway's /status.
//
//   npm run build && node bench/incidents.bench.mjs [--scenarios slowdown,leak] [--no-sweep]
//                                                   [--repeat 2] [--out bench/results/incidents.md]
//                                                   [--queue-order fifo|adaptive]
//
// A full run takes about 40 minutes (each run is real time); it writes bench/results/incidents.md (and
// every run's decisions and judgements beside it, as .json). Rates stay at most 60 calls/s, with service
// times to match: the lab judges decisions, and at hundreds of calls/s a busy machine's own CPU would
// decide the figures instead.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { callFigures, offerLoad, readStatus, scheduleCalls, startGateway } from './lib/incidentLab.mjs';
import { markdownTable, median, progress } from './lib/stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const out = resolve(here, '..', arg('out', 'bench/results/incidents.md'));
const only = arg('scenarios', '')
  .split(',')
  .filter((s) => s.length > 0);
const sweepOn = !args.includes('--no-sweep');
const repeat = Number(arg('repeat', '1'));
// The pools' queue order for every configuration (default: the product's, adaptive).
const queueOrder = arg('queue-order', undefined);

const DEFAULT_LIMIT = 8; // toolscope's default pool limit
const SWEEP = [2, 4, 16, 32];
const DEADLINE_MS = 2000; // what an agent waits for a tool call before it gives up
const ON = 20_000;
const OFF = 40_000;
const END = 50_000;
const TOOL = 'svc_work';
const KEY = 'svc/work';

const constant = (r) => () => r;
const burst = (low, high) => (t) => (t >= ON && t < OFF ? high : low);
const phase = (at, change) => ({ at, ...change });

/**
 * The scenarios. `expect` is what a good analyzer says: `fault` or `overload` (an alert within 5 s of
 * the onset), or `none` (no alert at all). `harm` names what a wrong tuner action would do there.
 */
const SCENARIOS = [
  {
    name: 'slowdown',
    title: '×6 dependency slowdown, spare capacity',
    expect: 'fault',
    harm: 'shrinking starves a pool whose upstream has room; the default limit already binds',
    services: {
      svc: {
        base: { workers: 32, serviceMs: 40 },
        phases: [phase(ON, { serviceMs: 240 }), phase(OFF, { serviceMs: 40 })],
      },
    },
    streams: [{ tool: TOOL, rate: constant(28), maxRate: 28 }],
  },
  {
    name: 'workers-halved',
    title: 'workers halved under overload',
    expect: 'overload',
    harm: 'a limit above the new capacity queues inside the upstream; one far below sheds good calls',
    services: {
      svc: {
        base: { workers: 8, serviceMs: 100 },
        phases: [phase(ON, { workers: 4 }), phase(OFF, { workers: 8 })],
      },
    },
    streams: [{ tool: TOOL, rate: constant(48), maxRate: 48 }],
  },
  {
    name: 'demand-absorbed',
    title: '×2 demand burst, absorbed',
    expect: 'none',
    harm: 'reading more calls in flight as saturation shrinks a pool that needs them',
    services: { svc: { base: { workers: 32, serviceMs: 80 } } },
    streams: [{ tool: TOOL, rate: burst(30, 60), maxRate: 60 }],
  },
  {
    name: 'demand-overload',
    title: 'demand burst beyond capacity',
    expect: 'overload',
    harm: 'as for halved workers',
    services: { svc: { base: { workers: 8, serviceMs: 200 } } },
    streams: [{ tool: TOOL, rate: burst(20, 60), maxRate: 60 }],
  },
  {
    name: 'error-burst',
    title: '10 % error burst',
    expect: 'fault',
    harm: 'errors are not congestion: shrinking only delays the good calls',
    services: {
      svc: {
        base: { workers: 16, serviceMs: 40 },
        phases: [phase(ON, { errorRate: 0.1 }), phase(OFF, { errorRate: 0 })],
      },
    },
    streams: [{ tool: TOOL, rate: constant(50), maxRate: 50 }],
  },
  {
    name: 'leak',
    title: 'upstream memory leak',
    expect: 'fault',
    harm: 'a leak is not a capacity problem',
    services: {
      svc: {
        base: { workers: 16, serviceMs: 40 },
        phases: [phase(ON, { leakBytes: 256 * 1024 }), phase(OFF, { leakBytes: 0 })],
      },
    },
    streams: [{ tool: TOOL, rate: constant(50), maxRate: 50 }],
  },
  {
    name: 'cpu-hog',
    title: 'CPU hog on the host (upstream tools)',
    expect: 'none',
    harm: 'host CPU used by others says nothing about an upstream process’s capacity',
    services: { svc: { base: { workers: 16, serviceMs: 40 } } },
    streams: [{ tool: TOOL, rate: constant(50), maxRate: 50 }],
    hog: { from: ON, to: OFF, processes: 2 },
  },
  {
    name: 'deploy',
    title: 'benign +5 % deploy',
    expect: 'none',
    harm: 'a 5 % slower tool is not an incident',
    services: {
      svc: { base: { workers: 16, serviceMs: 40 }, phases: [phase(ON, { serviceMs: 42 })] },
    },
    streams: [{ tool: TOOL, rate: constant(50), maxRate: 50 }],
  },
  {
    name: 'low-traffic',
    title: 'low-traffic tool (one call per 10 s) regresses ×3',
    expect: 'fault',
    maxCallsToDetect: 10,
    harm: '—',
    // Learns its baseline at 4 calls/s for 40 s, then sees one call every 10 s; regresses at 70 s.
    onset: 70_000,
    end: 180_000,
    services: {
      svc: {
        base: { workers: 4, serviceMs: 80 },
        phases: [phase(70_000, { serviceMs: 240 })],
      },
    },
    streams: [
      {
        tool: TOOL,
        rate: (t) => (t < 40_000 ? 4 : 0.1),
        maxRate: 4,
      },
    ],
    sweep: false,
  },
  {
    name: 'relation',
    title: 'input size stops explaining latency (marginals unchanged)',
    expect: 'fault',
    detector: 'forest',
    harm: '—',
    services: {
      svc: {
        base: { workers: 32, serviceMs: 4, perKbMs: 6, cv: 0.15 },
        phases: [phase(ON, { shuffleSize: true }), phase(OFF, { shuffleSize: false })],
      },
    },
    // Payloads log-uniform between 256 B and 16 KiB.
    streams: [
      {
        tool: TOOL,
        rate: constant(50),
        maxRate: 50,
        payloadBytes: (random) => 256 * 64 ** random(),
      },
    ],
    sweep: false,
    forestAblation: true,
  },
];

const selected = only.length > 0 ? SCENARIOS.filter((s) => only.includes(s.name)) : SCENARIOS;
const onsetOf = (s) => s.onset ?? ON;
const endOf = (s) => s.end ?? END;

function startHog(processes) {
  return Array.from({ length: processes }, () =>
    spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }),
  );
}

/** One run of a scenario under one configuration: caller-side figures and the gateway's judgements. */
async function runOnce(scenario, config, seed) {
  const t0 = Date.now() + 3000; // the plan's clock starts when the load does
  const toolscope = {
    analysis: { forest: { enabled: config.forest !== false } },
    tuning: { enabled: config.tuning },
    execution: {
      defaults: { pool: { limit: config.limit ?? DEFAULT_LIMIT, ...(queueOrder ? { queueOrder } : {}) } },
    },
  };
  const gateway = await startGateway({ services: scenario.services, toolscope, t0 });
  const durationMs = endOf(scenario);
  const calls = scenario.streams
    .flatMap((stream, i) => scheduleCalls({ ...stream, durationMs, seed: seed * 31 + i }))
    .sort((a, b) => a.at - b.at);
  const limits = [];
  let maxQueued = 0;
  let hogs = [];
  const timers = [];
  if (scenario.hog) {
    timers.push(
      setTimeout(() => (hogs = startHog(scenario.hog.processes)), t0 - Date.now() + scenario.hog.from),
    );
    timers.push(
      setTimeout(
        () => {
          for (const h of hogs) h.kill('SIGKILL');
          hogs = [];
        },
        t0 - Date.now() + scenario.hog.to,
      ),
    );
  }
  const poll = setInterval(async () => {
    try {
      const status = await readStatus(gateway.base);
      const tool = status.tools.find((t) => t.key === KEY);
      if (tool?.pool) {
        limits.push(tool.pool.limit);
        maxQueued = Math.max(maxQueued, tool.pool.queued);
      }
    } catch {
      // a missed poll only thins the limit trace
    }
  }, 1000);
  await new Promise((r) => setTimeout(r, Math.max(0, t0 - Date.now())));
  let records;
  try {
    records = await offerLoad({
      url: gateway.url,
      calls,
      start: t0,
      deadlineMs: DEADLINE_MS,
      onProgress: (now, inFlight) => {
        if (now % 10_000 < 1000)
          progress(`  ${scenario.name} ${config.label}: ${(now / 1000).toFixed(0)} s, ${inFlight} in flight`);
      },
    });
  } finally {
    clearInterval(poll);
    for (const t of timers) clearTimeout(t);
    for (const h of hogs) h.kill('SIGKILL');
  }
  let status;
  try {
    status = await readStatus(gateway.base);
  } catch (error) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    throw new Error(
      `${scenario.name} ${config.label}: /status unreadable (${error.message}); ${gateway.death() ?? 'gateway still running'}`,
    );
  } finally {
    if (status === undefined) await gateway.stop();
  }
  await gateway.stop();
  const onset = onsetOf(scenario);
  return {
    config,
    incident: callFigures(records, onset, durationMs),
    before: callFigures(records, onset - 10_000, onset),
    judgement: judge(scenario, status, t0, records),
    meanLimit: limits.length > 0 ? limits.reduce((a, b) => a + b, 0) / limits.length : Number.NaN,
    minLimit: limits.length > 0 ? Math.min(...limits) : Number.NaN,
    maxLimit: limits.length > 0 ? Math.max(...limits) : Number.NaN,
    maxQueued,
    decisions: status.tuning.decisions.filter((d) => d.direction !== 'hold'),
  };
}

/** What the analyzer and the alerts said, relative to the scenario's onset. */
function judge(scenario, status, t0, records) {
  const onset = t0 + onsetOf(scenario);
  const alerts = (status.alerts.recent ?? []).filter((a) => a.status === 'firing');
  const early = alerts.filter((a) => a.time < onset);
  const late = alerts.filter((a) => a.time >= onset);
  const first = late.length > 0 ? Math.min(...late.map((a) => a.time)) : undefined;
  const episodes = status.anomalies.filter((e) => e.key === KEY);
  // Calls to detection, for the low-traffic tool: calls offered between the onset and the first alert.
  const callsToDetect =
    first === undefined ? undefined : records.filter((r) => t0 + r.at >= onset && t0 + r.at <= first).length;
  return {
    alerts: alerts.map((a) => ({ rule: a.rule, level: a.level, at: a.time - onset, summary: a.summary })),
    falseAlerts: scenario.expect === 'none' ? alerts.length : early.length,
    delayMs: first === undefined ? undefined : first - onset,
    callsToDetect,
    episodes: episodes.map((e) => ({
      at: e.start - onset,
      class: e.class,
      detector: e.detector,
      severity: e.severity,
      reasons: e.reasons,
    })),
  };
}

const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '—');
const ms = (x) => (Number.isFinite(x) ? `${fmt(x)} ms` : '—');
const pct = (x) => `${fmt(100 * x, 1)} %`;
const mark = (ok) => (ok ? '✅' : '❌');

/** Median over repetitions of each figure. */
function medianRun(runs) {
  const pick = (f) => median(runs.map(f));
  const figures = (k) => ({
    p50: pick((r) => r[k].p50),
    p95: pick((r) => r[k].p95),
    p99: pick((r) => r[k].p99),
    goodput: pick((r) => r[k].goodput),
    errors: pick((r) => r[k].errors),
    offered: pick((r) => r[k].offered),
  });
  return {
    ...runs[0],
    incident: figures('incident'),
    before: figures('before'),
    meanLimit: pick((r) => r.meanLimit),
    runs,
  };
}

const started = performance.now();
const results = [];
for (const scenario of selected) {
  progress(`${scenario.name}: ${scenario.title}`);
  const configs = [
    { label: 'tuner on', tuning: true },
    { label: `static ${DEFAULT_LIMIT} (default)`, tuning: false, limit: DEFAULT_LIMIT, default: true },
  ];
  if (scenario.forestAblation) configs.push({ label: 'tuner on, forest off', tuning: true, forest: false });
  const byLabel = new Map();
  for (let r = 0; r < repeat; r++) {
    for (const config of configs) {
      const run = await runOnce(scenario, config, 1000 + r);
      byLabel.set(config.label, [...(byLabel.get(config.label) ?? []), run]);
    }
  }
  const def = medianRun(byLabel.get(configs[1].label));
  // A sweep only where the default's pool limit was reached: elsewhere every limit above the
  // largest concurrency seen behaves the same.
  const bound = def.runs.some((r) => r.maxQueued > 0);
  if (sweepOn && scenario.sweep !== false && bound) {
    for (const limit of SWEEP) {
      const config = { label: `static ${limit}`, tuning: false, limit };
      configs.push(config);
      for (let r = 0; r < repeat; r++) {
        const run = await runOnce(scenario, config, 1000 + r);
        byLabel.set(config.label, [...(byLabel.get(config.label) ?? []), run]);
      }
    }
  }
  const rows = configs.map((c) => medianRun(byLabel.get(c.label)));
  results.push({ scenario, rows, bound });
  report();
}
process.stdout.write(`${report().join('\n')}\n`);
// --- Report -------------------------------------------------------------------------------------
/** Writes the report of the scenarios run so far (after each one: a crash later loses nothing). */
function report() {
  const elapsed = (performance.now() - started) / 60_000;
  const lines = [];
  const w = (s = '') => lines.push(s);
  w('## Incident lab: does judgement help, and never harm?');
  w();
  w(
    `Real \`toolscope gateway\` (HTTP) in front of real stdio MCP servers (\`bench/fixtures/incident-server.mjs\`), ` +
      `open-loop Poisson load from 4 MCP clients, a ${DEADLINE_MS / 1000} s deadline per call (the client cancels). ` +
      `Each run: ${ON / 1000} s before the incident, the incident until ${OFF / 1000} s, recovery until ${END / 1000} s ` +
      `(the low-traffic tool: its own timeline). Figures are caller-side, over the calls offered from the onset to the end; ` +
      `goodput counts answers in time that are not errors. Pool queue order: ${queueOrder ?? 'adaptive (default)'}. ` +
      `${repeat} repetition(s), medians; ${fmt(elapsed, 1)} min on ` +
      `${process.version}. Reproduce: \`npm run build && node bench/incidents.bench.mjs\`.`,
  );
  w();
  w('### Tuner: on, static default, and the best static limit');
  w();
  const tunerRows = [];
  const targetRows = [];
  for (const { scenario, rows, bound } of results) {
    const tuner = rows.find((r) => r.config.label === 'tuner on');
    const def = rows.find((r) => r.config.default);
    const statics = rows.filter((r) => r.config.tuning === false);
    // Best static: the highest goodput (within 1 %, the lowest p99 among those).
    const top = Math.max(...statics.map((r) => r.incident.goodput));
    const best = statics
      .filter((r) => r.incident.goodput >= 0.99 * top)
      .sort((a, b) => a.incident.p99 - b.incident.p99)[0];
    for (const r of rows) {
      tunerRows.push([
        scenario.name,
        r.config.label + (r === best && statics.length > 1 ? ' (best static)' : ''),
        ms(r.incident.p50),
        ms(r.incident.p95),
        ms(r.incident.p99),
        fmt(r.incident.goodput, 1),
        pct(r.incident.errors),
        r.config.tuning
          ? `${fmt(r.meanLimit, 1)} (${fmt(r.minLimit)}–${fmt(r.maxLimit)})`
          : String(r.config.limit),
        r.config.tuning ? String(r.decisions.length) : '—',
      ]);
    }
    const p99Ratio = tuner.incident.p99 / def.incident.p99;
    const goodputRatio = tuner.incident.goodput / def.incident.goodput;
    const noHarm = p99Ratio <= 1.05 && goodputRatio >= 0.95;
    // A tuner that never moved the limit ran exactly the default: the ratios are run-to-run noise.
    const idle = tuner.runs.every((r) => r.decisions.length === 0);
    const saturated = scenario.expect === 'overload';
    const vsBest =
      saturated && statics.length > 1
        ? {
            goodput: tuner.incident.goodput / best.incident.goodput,
            p99: tuner.incident.p99 / best.incident.p99,
          }
        : undefined;
    targetRows.push([
      scenario.name,
      `${fmt(p99Ratio, 2)}×`,
      `${fmt(goodputRatio, 3)}×`,
      idle ? 'no action (same as the default)' : mark(noHarm),
      vsBest
        ? `${pct(vsBest.goodput)} / ${fmt(vsBest.p99, 2)}× ${mark(vsBest.goodput >= 0.95 && vsBest.p99 <= 1.3)}`
        : bound
          ? '—'
          : 'limit never reached',
    ]);
  }
  w(
    markdownTable(
      [
        'scenario',
        'configuration',
        'p50',
        'p95',
        'p99',
        'goodput/s',
        'failed',
        'limit (mean, range)',
        'decisions',
      ],
      tunerRows,
    ),
  );
  w();
  w(
    markdownTable(
      [
        'scenario',
        'tuner p99 / default',
        'tuner goodput / default',
        'no harm (≤ 5 %)',
        'saturation: goodput / p99 vs best static',
      ],
      targetRows,
    ),
  );
  w();
  w('### Analyzer: episodes, detection delay, false alerts (tuner on)');
  w();
  const verdictRows = [];
  for (const { scenario, rows } of results) {
    for (const r of rows.filter((x) => x.config.tuning)) {
      const j = r.judgement;
      const detected =
        scenario.expect === 'none'
          ? j.falseAlerts === 0
          : scenario.maxCallsToDetect !== undefined
            ? j.callsToDetect !== undefined && j.callsToDetect <= scenario.maxCallsToDetect
            : j.delayMs !== undefined && j.delayMs <= 5000;
      verdictRows.push([
        scenario.name,
        r.config.label,
        scenario.expect,
        j.episodes
          .map((e) => `${e.class ?? '?'}/${e.detector ?? '?'} ${e.severity} @${fmt(e.at / 1000, 1)} s`)
          .join('; ') || 'none',
        j.alerts.map((a) => `${a.rule} (${a.level}) @${fmt(a.at / 1000, 1)} s`).join('; ') || 'none',
        scenario.maxCallsToDetect !== undefined
          ? j.callsToDetect === undefined
            ? 'not detected'
            : `${j.callsToDetect} calls`
          : j.delayMs === undefined
            ? scenario.expect === 'none'
              ? '—'
              : 'not detected'
            : `${fmt(j.delayMs / 1000, 1)} s`,
        String(j.falseAlerts),
        mark(detected && (scenario.expect === 'none' || j.falseAlerts === 0)),
      ]);
    }
  }
  w(
    markdownTable(
      [
        'scenario',
        'configuration',
        'expected',
        'episodes (class/detector severity @onset+)',
        'alerts',
        'detection',
        'false alerts',
        'ok',
      ],
      verdictRows,
    ),
  );
  w();
  w('### What a wrong action would do in each scenario');
  w();
  w(
    markdownTable(
      ['scenario', 'what', 'harm to avoid'],
      selected.map((s) => [s.name, s.title, s.harm]),
    ),
  );
  w();

  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${lines.join('\n')}\n`);
  // Every run's decisions and judgements, for reading why a row came out as it did.
  const raw = results.map(({ scenario, rows }) => ({ scenario: scenario.name, rows }));
  writeFileSync(out.replace(/\.md$/, '.json'), `${JSON.stringify(raw, null, 1)}\n`);
  return lines;
}
