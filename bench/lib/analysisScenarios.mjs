/**
 * Labelled synthetic call streams for the analyzer benchmark (bench/analysis.bench.mjs).
 *
 * Normal traffic of a tool is input-driven and heavy-tailed, as real tool traffic is:
 * argument size is lognormal, CPU work grows with it, I/O wait is lognormal with an
 * optional Pareto tail, heap and result size follow the work. Anomalies change one
 * mechanism (more CPU, slower I/O, more errors, growing heap) for a while, then the
 * tool recovers. Every call carries a label: `anomalous`, `grey` (not counted either
 * way: a short grace after recovery, and a leak's ramp before it becomes material),
 * or normal.
 */

/** Seeded uniform [0, 1) (mulberry32), so every stream is reproducible. */
export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gauss(r) {
  return Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r());
}
const logn = (r, sigma) => Math.exp(sigma * gauss(r));
function poisson(r, mean) {
  const l = Math.exp(-mean);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= r();
  } while (p > l);
  return k - 1;
}

export const RATE_PER_S = 10;
export const GRACE_MS = 10_000;
const MIN = 60_000;

/** Traffic shapes. `tight` is a low-variance tool (where 5 % is several σ); `heavy` has a Pareto tail. */
const TRAFFIC = {
  typical: { inputSigma: 0.8, workSigma: 0.2, ioSigma: 0.4, tailP: 0.01, tailAlpha: 1.5 },
  heavy: { inputSigma: 1.2, workSigma: 0.3, ioSigma: 0.6, tailP: 0.05, tailAlpha: 1.1 },
  tight: { inputSigma: 0.05, workSigma: 0.03, ioSigma: 0.05, tailP: 0, tailAlpha: 2 },
};

const none = () => ({ cpu: 1, io: 1, heap: 1, err: 0.005 });

/**
 * The scenarios: `events` are [startMs, endMs] windows; `effect(t)` returns the
 * multipliers at time t; `onsetOf(event)` the labelled onset (the start, except for
 * the leak, whose onset is when it first reaches the heap materiality of 1.5×).
 */
export const SCENARIOS = [
  scenario('level_shift', 'typical', 3, 90_000, () => ({ cpu: 2, io: 2, heap: 1, err: 0.005 })),
  leakScenario(),
  scenario('cpu_spike', 'typical', 3, 45_000, () => ({ cpu: 3, io: 1, heap: 1, err: 0.005 })),
  scenario('error_burst', 'typical', 3, 60_000, () => ({ cpu: 1, io: 1, heap: 1, err: 0.3 })),
  scenario('io_block', 'typical', 3, 90_000, () => ({ cpu: 1, io: 3, heap: 1, err: 0.005 })),
  // The work stops following the argument size (a changed code path, a cold cache): every figure
  // keeps its distribution, only their relation breaks. What the isolation forest is for.
  scenario('relation_break', 'typical', 3, 90_000, () => ({
    cpu: 1,
    io: 1,
    heap: 1,
    err: 0.005,
    shuffle: true,
  })),
  {
    name: 'benign_shift',
    traffic: 'tight',
    anomalous: false,
    durationMs: 20 * MIN,
    events: [],
    // A deploy at minute 5 makes every call 5 % slower and 5 % heavier, for good.
    effect: (t) => (t >= 5 * MIN ? { cpu: 1.05, io: 1.05, heap: 1.05, err: 0.005 } : none()),
    label: () => 'normal',
  },
  {
    name: 'heavy_tail',
    traffic: 'heavy',
    anomalous: false,
    durationMs: 20 * MIN,
    events: [],
    effect: none,
    label: () => 'normal',
  },
];

function scenario(name, traffic, count, lengthMs, during) {
  const events = Array.from({ length: count }, (_, i) => {
    const start = (5 + 6 * i) * MIN;
    return { start, onset: start, end: start + lengthMs };
  });
  return {
    name,
    traffic,
    anomalous: true,
    durationMs: (5 + 6 * count) * MIN,
    events,
    effect: (t) => (events.some((e) => t >= e.start && t < e.end) ? during(t) : none()),
    label: (t) => labelOf(events, t),
  };
}

function leakScenario() {
  // Heap per call grows linearly from 1× to 5× over 4 minutes, then the process restarts.
  const ramp = 4 * MIN;
  const events = [5 * MIN, 13 * MIN].map((start) => ({
    start,
    onset: start + (0.5 / 4) * ramp,
    end: start + ramp,
  }));
  return {
    name: 'leak_trend',
    traffic: 'typical',
    anomalous: true,
    durationMs: 20 * MIN,
    events,
    effect: (t) => {
      const e = events.find((ev) => t >= ev.start && t < ev.end);
      return e ? { cpu: 1, io: 1, heap: 1 + (4 * (t - e.start)) / ramp, err: 0.005 } : none();
    },
    label: (t) => labelOf(events, t),
  };
}

function labelOf(events, t) {
  for (const e of events) {
    if (t >= e.onset && t < e.end) return 'anomalous';
    if ((t >= e.start && t < e.onset) || (t >= e.end && t < e.end + GRACE_MS)) return 'grey';
  }
  return 'normal';
}

/** Generates the stream of a scenario as CallObservation-shaped objects plus labels. */
export function generate(sc, seed, ref = { service: 'bench', tool: sc.name, key: `bench/${sc.name}` }) {
  const r = rng(seed);
  const tr = TRAFFIC[sc.traffic];
  const n = Math.floor((sc.durationMs / 1000) * RATE_PER_S);
  const t0 = 1_700_000_000_000;
  const calls = new Array(n);
  const labels = new Array(n);
  for (let i = 0; i < n; i++) {
    const t = (i * 1000) / RATE_PER_S;
    const fx = sc.effect(t);
    const input = 2000 * logn(r, tr.inputSigma);
    // Normally the argument size drives the work; `shuffle` makes another draw of it drive it.
    const driver = fx.shuffle ? 2000 * logn(r, tr.inputSigma) : input;
    const work = Math.sqrt(driver / 2000) * logn(r, tr.workSigma);
    const cpuMs = 20 * work * fx.cpu;
    let ioMs = 10 * logn(r, tr.ioSigma) * fx.io;
    if (r() < tr.tailP) ioMs *= 3 * (1 - r()) ** (-1 / tr.tailAlpha);
    const failed = r() < fx.err;
    const durationMs = failed ? 5 * logn(r, 0.3) : cpuMs / 0.95 + ioMs;
    const queueWaitMs = r() < 0.05 ? -5 * Math.log(1 - r()) : 0;
    const heap = 200 * 1024 * work * logn(r, 0.3) * fx.heap;
    const output = input * 1.5 * logn(r, 0.3);
    calls[i] = {
      ref,
      agent: undefined,
      startTime: t0 + t,
      durationMs: durationMs + queueWaitMs,
      queueWaitMs,
      inFlightAtStart: poisson(r, 2),
      inputBytes: Math.round(input),
      outputBytes: failed ? 80 : Math.round(output),
      outcome: failed ? 'tool_error' : 'success',
      errorType: failed ? 'tool_error' : undefined,
      attempts: 1,
      cpuUserMicros: Math.round((failed ? 0.5 : cpuMs) * 1000 * 0.9),
      cpuSystemMicros: Math.round((failed ? 0.5 : cpuMs) * 1000 * 0.1),
      cpuAttribution: 'call',
      heapAllocatedBytes: Math.round(failed ? 4096 : heap),
    };
    labels[i] = sc.label(t);
  }
  return { calls, labels, t0 };
}
