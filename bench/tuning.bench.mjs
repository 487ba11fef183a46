// Adaptive concurrency benchmark (issue 7): a seeded discrete-event simulation of a tool
// whose capacity halves and recovers, at an overload rate and a moderate rate. toolscope's
// PoolController, Netflix-style AIMD and Envoy's gradient controller run on exactly the same
// calls and are judged against the best static limit per phase (the oracle, found by sweep).
//
//   npm run build && node bench/tuning.bench.mjs [--seeds 1,2,3,4,5] [--loads overload,moderate]
//                                                [--incident workers|slowdown] [--out bench/results/tuning.md]
//
// Prints a markdown section and writes it to bench/results/tuning.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AimdLimit,
  EnvoyGradientLimit,
  incidentScenario,
  LOAD_FACTOR,
  PoolController,
  SETTLE_HOLD_MS,
  SeededRandom,
  scoreController,
  sweepOracle,
  TARGETS,
} from '../dist/tuning/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const seeds = arg('seeds', '1,2,3,4,5').split(',').map(Number);
const loads = arg('loads', 'overload,moderate').split(',');
const incident = arg('incident', 'workers');
const out = resolve(here, '..', arg('out', 'bench/results/tuning.md'));

const seeded = (seed) => {
  const r = new SeededRandom(seed);
  return () => r.next();
};
const CONTROLLERS = [
  ['toolscope', (_sc, seed) => new PoolController({ random: seeded(seed * 7 + 1) })],
  ['AIMD', (sc) => new AimdLimit({ timeoutMs: sc.callTimeoutMs })],
  ['Envoy gradient', (_sc, seed) => new EnvoyGradientLimit({ random: seeded(seed * 13 + 5) })],
];

const pct = (x, d = 1) => `${(100 * x).toFixed(d)} %`;
const num = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '—');
const secs = (ms) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : 'never');
const mark = (ok) => (ok ? '✅' : '❌');

const started = performance.now();
const runs = [];
for (const load of loads) {
  for (const seed of seeds) {
    const scenario = incidentScenario({ seed, load, incident });
    const oracle = sweepOracle(scenario);
    const scores = CONTROLLERS.map(([name, make]) =>
      scoreController(name, scenario, oracle, make(scenario, seed)),
    );
    runs.push({ load, seed, scenario, oracle, scores });
    process.stderr.write(
      `  ${scenario.name}: ${scores.map((s) => `${s.name} ${s.pass.all ? 'pass' : 'fail'}`).join(', ')}\n`,
    );
  }
}
const elapsed = (performance.now() - started) / 1000;

const lines = [];
const w = (s = '') => lines.push(s);
w('## Adaptive concurrency: toolscope vs AIMD vs Envoy gradient (simulated)');
w();
w(
  `Seeds ${seeds.join(', ')}; loads ${loads.join(', ')}; incident \`${incident}\`; ${elapsed.toFixed(1)} s on ${process.version}. ` +
    'Reproduce: `npm run build && node bench/tuning.bench.mjs`.',
);
w();
w('### Model');
w();
w(
  '- **Backend**: `c` workers (drawn per seed: 10–32) with a FIFO queue of its own; log-normal service times (mean from a ' +
    'full throughput of 150–400 calls/s, CV 0.3–0.9). Capacity phases of 40 s: full, then **halved** (`workers`: half ' +
    'the workers; `slowdown`: every service time doubled), then **recovered**.',
);
w(
  `- **Load**: Poisson arrivals at ${LOAD_FACTOR.overload}× full capacity (**overload**; ${2 * LOAD_FACTOR.overload}× while halved) ` +
    `or ${LOAD_FACTOR.moderate}× (**moderate**; ${2 * LOAD_FACTOR.moderate}× while halved).`,
);
w(
  '- **Noise bursts**: every ~6 s for 0.2–1 s, 5–20 % of the arriving calls are 2–6× slower (a property of the call, so ' +
    'every controller serves the same work). Capacity over time is unchanged; reacting to them is overreacting.',
);
w(
  '- **Pool** (as toolscope’s `admit`): the controller’s limit on calls in flight, a bounded FIFO queue of 4·c calls, ' +
    'a queue-wait limit of 8× the mean service time; a **deadline** of 20× the mean service time from arrival, after which ' +
    'the caller gets a timeout, the slot is freed and the backend drops the call if it has not started it (work already ' +
    'started is wasted).',
);
w(
  '- **Goodput**: answers delivered before the deadline, per second (by delivery time). **Errors**: calls refused by the ' +
    'pool (queue full, queue wait too long) plus timeouts, over calls offered. Under overload the oracle must refuse ' +
    'calls too, so the error target is the excess over the oracle’s error rate (in percentage points). **p50/p99**: ' +
    'caller-visible latency (queue wait + execution) of good calls; **exec p99**: execution only, the part a limit shapes.',
);
w(
  '- **Oracle**: for each phase, every static limit 1…1.6·c (and 2c, 3c, 4c) is run with the earlier phases at their ' +
    'chosen limits; the goodput bar is the best of that goodput curve smoothed over ±1 limit (a single run is ±1 % lucky), ' +
    'the oracle’s limit is the lowest-p99 one within 1 % of the bar, and its p99 and errors are the other bars. The ' +
    '**band** of a phase is the range of static limits around the oracle’s that themselves reach ≥ 95 % of the bar with ' +
    'p99 and exec p99 ≤ 1.3× the oracle’s.',
);
w(
  `- **Re-convergence**: time after a capacity change until the controller’s limit enters that phase’s band and stays ` +
    `there ${SETTLE_HOLD_MS / 1000} s (or to the end of the phase). Scoring starts after a ${incidentScenario({ seed: 1, load: 'overload' }).warmupMs / 1000} s warm-up ` +
    '(every controller starts cold at its default limit; the time to first settle is shown as “cold”).',
);
w(
  `- **Targets**, every seed and rate: goodput ≥ ${pct(TARGETS.goodputRatio, 0)} of the oracle’s, p99 ≤ ${TARGETS.p99Ratio}× the ` +
    `oracle’s, errors ≤ oracle + ${(100 * TARGETS.errorExcess).toFixed(1)} pp, re-convergence ≤ ${TARGETS.settleMs / 1000} s after both changes.`,
);
w();
w('### Results');
w();
w(
  '| load | seed | c · S̄ · CV | controller | goodput vs oracle | p50 ms | p99 ms (× oracle) | exec p99 × | errors (Δ pp) | settle after drop | settle after recovery | cold | targets |',
);
w('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const { load, seed, scenario, oracle, scores } of runs) {
  const backend = `${scenario.phases[0].workers} · ${num(scenario.serviceMeanMs)} ms · ${scenario.serviceCv.toFixed(2)}`;
  w(
    `| ${load} | ${seed} | ${backend} | oracle (${oracle.phases.map((p) => p.limit).join('→')}) | ${num(oracle.goodputPerSec, 1)}/s | ` +
      `${num(oracle.p50Ms)} | ${num(oracle.p99Ms)} | — | ${pct(oracle.errorRate)} | bands ${oracle.phases
        .map((p) => `[${p.band.lo},${Number.isFinite(p.band.hi) ? p.band.hi : '∞'}]`)
        .join(' ')} | | | |`,
  );
  for (const s of scores) {
    const [drop, recovery] = s.settleMs;
    w(
      `| | | | ${s.name} | ${pct(s.goodputRatio)} ${mark(s.pass.goodput)} | ${num(s.overall.p50Ms)} | ` +
        `${num(s.overall.p99Ms)} (${s.p99Ratio.toFixed(2)}×) ${mark(s.pass.p99)} | ${(s.overall.execP99Ms / oracle.execP99Ms).toFixed(2)}× | ` +
        `${pct(s.overall.errorRate)} (${s.errorExcess >= 0 ? '+' : ''}${(100 * s.errorExcess).toFixed(2)}) ${mark(s.pass.errors)} | ` +
        `${secs(drop)} | ${secs(recovery)} ${mark(s.pass.settle)} | ${secs(s.coldStartMs)} | ${s.pass.all ? '**pass**' : 'fail'} |`,
    );
  }
}
w();
w('### Summary');
w();
w(
  '| controller | runs meeting every target | worst goodput | worst p99 × | worst errors Δ pp | worst settle (drop / recovery) |',
);
w('|---|---|---|---|---|---|');
for (const [name] of CONTROLLERS) {
  const mine = runs.map((r) => r.scores.find((s) => s.name === name));
  const worst = (f, pick = Math.max) => pick(...mine.map(f));
  w(
    `| ${name} | ${mine.filter((s) => s.pass.all).length} / ${mine.length} | ${pct(worst((s) => s.goodputRatio, Math.min))} | ` +
      `${worst((s) => s.p99Ratio).toFixed(2)}× | ${(100 * worst((s) => s.errorExcess)).toFixed(2)} | ` +
      `${secs(worst((s) => s.settleMs[0]))} / ${secs(worst((s) => s.settleMs[1]))} |`,
  );
}
w();

const markdown = lines.join('\n');
process.stdout.write(`${markdown}\n`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${markdown}\n`);
process.stderr.write(`wrote ${out}\n`);
