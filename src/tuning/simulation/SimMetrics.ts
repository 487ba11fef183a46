import { CallFate, type SimResult } from './PoolSimulation.js';

/**
 * What callers saw over one interval of a run. Goodput counts good answers by the time they
 * arrived back (throughput as a monitor sees it); the fate counts and latencies are of the
 * calls that arrived in the interval.
 */
export interface SimSummary {
  readonly fromMs: number;
  readonly toMs: number;
  /** Calls that arrived in the interval. */
  readonly offered: number;
  /** Good answers delivered in the interval. */
  readonly good: number;
  /** Good answers per second: the figure a controller is judged by. */
  readonly goodputPerSec: number;
  /** Caller-visible latency of good calls (queue wait + execution). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Execution latency of good calls (admission to answer): the part the limit shapes directly. */
  readonly execP99Ms: number;
  /** Refused by the pool: queue full. */
  readonly shedQueueFull: number;
  /** Refused by the pool: waited too long for a slot. */
  readonly shedQueueWait: number;
  /** Admitted and then past the deadline. */
  readonly timeouts: number;
  /** (refused + timed out) / offered. */
  readonly errorRate: number;
  /** Time-average of the limit over the interval. */
  readonly meanLimit: number;
}

/** Nearest-rank percentile of an already sorted array (NaN when empty). */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Caller-visible latencies of the good calls that arrived in [fromMs, toMs), sorted. */
export function goodLatencies(result: SimResult, fromMs: number, toMs: number, exec = false): Float64Array {
  const out: number[] = [];
  const source = exec ? result.execMs : result.latencyMs;
  for (let i = 0; i < result.calls; i++) {
    const a = result.arrivalMs[i]!;
    if (a < fromMs || a >= toMs || result.fate[i] !== CallFate.good) continue;
    out.push(source[i]!);
  }
  return Float64Array.from(out).sort();
}

/** Summarises the calls that arrived in [fromMs, toMs). */
export function summarize(result: SimResult, fromMs: number, toMs: number): SimSummary {
  let offered = 0;
  let good = 0;
  for (let i = 0; i < result.calls; i++) {
    if (result.fate[i] !== CallFate.good) continue;
    const done = result.arrivalMs[i]! + result.latencyMs[i]!;
    if (done >= fromMs && done < toMs) good++;
  }
  let shedQueueFull = 0;
  let shedQueueWait = 0;
  let timeouts = 0;
  for (let i = 0; i < result.calls; i++) {
    const a = result.arrivalMs[i]!;
    if (a < fromMs || a >= toMs) continue;
    offered++;
    switch (result.fate[i]) {
      case CallFate.shedQueueFull:
        shedQueueFull++;
        break;
      case CallFate.shedQueueWait:
        shedQueueWait++;
        break;
      case CallFate.timeout:
        timeouts++;
        break;
    }
  }
  const latencies = goodLatencies(result, fromMs, toMs);
  const exec = goodLatencies(result, fromMs, toMs, true);
  return {
    fromMs,
    toMs,
    offered,
    good,
    goodputPerSec: good / ((toMs - fromMs) / 1000),
    p50Ms: percentileSorted(latencies, 50),
    p99Ms: percentileSorted(latencies, 99),
    execP99Ms: percentileSorted(exec, 99),
    shedQueueFull,
    shedQueueWait,
    timeouts,
    errorRate: offered === 0 ? 0 : (shedQueueFull + shedQueueWait + timeouts) / offered,
    meanLimit: meanLimit(result, fromMs, toMs),
  };
}

/** Time-average of the traced limit over [fromMs, toMs). */
export function meanLimit(result: SimResult, fromMs: number, toMs: number): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < result.traceMs.length; i++) {
    const t = result.traceMs[i]!;
    if (t < fromMs || t >= toMs) continue;
    sum += result.traceLimit[i]!;
    n++;
  }
  return n === 0 ? Number.NaN : sum / n;
}

/**
 * Settling time after a change: the first time t ≥ `changeMs` from which the limit stays
 * inside [lo, hi] for `holdMs` (or until `endMs`, whichever comes first). Returns the delay
 * t − changeMs, or `Infinity` when the limit never settles before `endMs`.
 */
export function settleTimeMs(
  result: SimResult,
  changeMs: number,
  endMs: number,
  band: { readonly lo: number; readonly hi: number },
  holdMs: number,
): number {
  let candidate = Number.NaN;
  for (let i = 0; i < result.traceMs.length; i++) {
    const t = result.traceMs[i]!;
    if (t < changeMs) continue;
    if (t >= endMs) break;
    const inBand = result.traceLimit[i]! >= band.lo && result.traceLimit[i]! <= band.hi;
    if (!inBand) {
      candidate = Number.NaN;
      continue;
    }
    if (Number.isNaN(candidate)) candidate = t;
    if (t - candidate >= holdMs) return candidate - changeMs;
  }
  // In band from `candidate` to the end of the interval: settled, if the tail is long enough to mean it.
  return Number.isNaN(candidate) ? Number.POSITIVE_INFINITY : candidate - changeMs;
}

/** Fraction of trace points in [fromMs, toMs) whose limit lies inside the band. */
export function fractionInBand(
  result: SimResult,
  fromMs: number,
  toMs: number,
  band: { readonly lo: number; readonly hi: number },
): number {
  let inside = 0;
  let n = 0;
  for (let i = 0; i < result.traceMs.length; i++) {
    const t = result.traceMs[i]!;
    if (t < fromMs || t >= toMs) continue;
    n++;
    if (result.traceLimit[i]! >= band.lo && result.traceLimit[i]! <= band.hi) inside++;
  }
  return n === 0 ? Number.NaN : inside / n;
}
