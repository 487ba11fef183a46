import { createRandom } from '../../src/analysis/Random.js';
import type { CallObservation, ToolRef } from '../../src/pipeline/CallObservation.js';

/** One stretch of a simulated upstream's life. */
export interface Phase {
  /** Length of the stretch, ms. */
  readonly ms: number;
  /** Poisson arrivals per second. */
  readonly rate: number;
  /** Workers: calls beyond them wait in the upstream's FIFO queue. */
  readonly workers: number;
  /** Mean service time on a free worker, ms (log-normal, `cv`). */
  readonly serviceMs: number;
  readonly cv?: number;
  /** Upstream resident memory at the start of the stretch, and its growth, bytes/s. */
  readonly rssBytes?: number;
  readonly rssGrowthPerSec?: number;
  /** Share of calls that answer with an error. */
  readonly errorRate?: number;
}

export const T0 = 1_700_000_000_000;
const ref: ToolRef = { service: 'svc', tool: 'work', key: 'svc/work' };

/** A finished call of the simulated tool, admitted at `t` (ms from T0) and answered at `end`. */
function observation(
  t: number,
  end: number,
  inFlight: number,
  failed: boolean,
  upstreamRssBytes: number | undefined,
): CallObservation {
  return {
    ref,
    agent: undefined,
    startTime: T0 + t,
    durationMs: end - t,
    queueWaitMs: 0,
    inFlightAtStart: inFlight,
    inputBytes: 40,
    outputBytes: failed ? 20 : 64,
    outcome: failed ? 'tool_error' : 'success',
    errorType: failed ? 'tool_error' : undefined,
    attempts: 1,
    upstreamRssBytes,
  };
}

/**
 * Calls through toolscope (no pool limit) to an upstream with a worker pool, as finished
 * observations in arrival order: execution time includes the wait inside the upstream, and
 * `inFlightAtStart` counts the calls still running at each arrival (what the pool reports).
 */
export function upstreamCalls(phases: readonly Phase[], seed = 1): CallObservation[] {
  const r = createRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r());
  const out: CallObservation[] = [];
  let free: number[] = [];
  const ends: number[] = []; // end times of calls in flight (unsorted; small)
  let t = 0;
  let phaseStart = 0;
  for (const p of phases) {
    const cv = p.cv ?? 0.5;
    const sigma = Math.sqrt(Math.log(1 + cv * cv));
    const mu = Math.log(p.serviceMs) - (sigma * sigma) / 2;
    if (free.length !== p.workers) free = Array.from({ length: p.workers }, (_, i) => free[i] ?? t);
    while (true) {
      t += (-Math.log(1 - r()) * 1000) / p.rate;
      if (t >= phaseStart + p.ms) break;
      let w = 0;
      for (let i = 1; i < free.length; i++) if (free[i]! < free[w]!) w = i;
      const start = Math.max(t, free[w]!);
      const service = Math.exp(mu + sigma * gauss());
      const end = start + service;
      free[w] = end;
      for (let i = ends.length - 1; i >= 0; i--) if (ends[i]! <= t) ends.splice(i, 1);
      const inFlight = ends.length;
      ends.push(end);
      const failed = r() < (p.errorRate ?? 0);
      const elapsed = (t - phaseStart) / 1000;
      const rss = p.rssBytes === undefined ? undefined : p.rssBytes + (p.rssGrowthPerSec ?? 0) * elapsed;
      out.push(observation(t, end, inFlight, failed, rss));
    }
    phaseStart += p.ms;
    t = phaseStart;
  }
  // Observations reach the analyzer when calls end; judging in arrival order is close enough here.
  return out;
}

/** One stretch of a closed-loop client population's life: each caller waits for its answer. */
export interface ClosedPhase {
  readonly ms: number;
  /** Workers of the upstream: calls beyond them wait in its FIFO queue. */
  readonly workers: number;
  /** Mean service time on a free worker, ms (log-normal, `cv`). */
  readonly serviceMs: number;
  readonly cv?: number;
}

/**
 * Calls from `callers` closed-loop clients (agents that send their next call `thinkMs` after the
 * last answer), as finished observations *in the order they end*, as the analyzer receives them.
 * Concurrency here is bounded by the callers: when the upstream slows, more of them are waiting at
 * any moment only because each waits longer.
 */
export function closedLoopCalls(
  phases: readonly ClosedPhase[],
  callers: number,
  thinkMs: number,
  seed = 1,
): CallObservation[] {
  const r = createRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r());
  const total = phases.reduce((sum, p) => sum + p.ms, 0);
  const phaseAt = (t: number) => {
    let end = 0;
    for (const p of phases) {
      end += p.ms;
      if (t < end) return p;
    }
    return phases[phases.length - 1]!;
  };
  const next = Array.from({ length: callers }, () => r() * thinkMs);
  let free: number[] = [];
  const running: number[] = [];
  const out: CallObservation[] = [];
  while (true) {
    let c = 0;
    for (let i = 1; i < callers; i++) if (next[i]! < next[c]!) c = i;
    const t = next[c]!;
    if (t >= total) break;
    const p = phaseAt(t);
    if (free.length !== p.workers) free = Array.from({ length: p.workers }, (_, i) => free[i] ?? t);
    let w = 0;
    for (let i = 1; i < free.length; i++) if (free[i]! < free[w]!) w = i;
    const cv = p.cv ?? 0.3;
    const sigma = Math.sqrt(Math.log(1 + cv * cv));
    const service = Math.exp(Math.log(p.serviceMs) - (sigma * sigma) / 2 + sigma * gauss());
    const end = Math.max(t, free[w]!) + service;
    free[w] = end;
    for (let i = running.length - 1; i >= 0; i--) if (running[i]! <= t) running.splice(i, 1);
    out.push(observation(t, end, running.length, false, undefined));
    running.push(end);
    next[c] = end + thinkMs * (0.5 + r());
  }
  return out.sort((a, b) => a.startTime + a.durationMs - (b.startTime + b.durationMs));
}
