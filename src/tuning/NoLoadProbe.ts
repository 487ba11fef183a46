import type { LimitSample } from './LimitController.js';
import { robustLatency } from './robustLatency.js';

/** What a finished probe measured. */
export interface ProbeResult {
  /** Robust latency of the calls admitted during the probe, ms. */
  readonly latencyMs: number;
  /** Standard error of its logarithm. */
  readonly logSe: number;
  readonly samples: number;
  /** Mean pool concurrency the probe's calls were admitted at (themselves included). */
  readonly meanInFlight: number;
}

/**
 * A brief dip of the limit that re-measures latency without upstream queueing.
 *
 * Calls are *admitted* at the probe limit during [start, admitUntil); the limit is then
 * restored while the probe waits until `endMs` for those calls to answer. Judging calls by
 * admission time, not by the first answers to come back, avoids the bias towards fast calls
 * that a "first N completions" probe would have.
 */
export class NoLoadProbe {
  readonly #samples: number[] = [];
  #inFlightSum = 0;

  constructor(
    readonly startMs: number,
    /** Limit while admitting. */
    readonly limit: number,
    /** Limit to go back to. */
    readonly restoreLimit: number,
    readonly admitUntilMs: number,
    readonly endMs: number,
  ) {}

  /** True while calls are admitted at the probe limit. */
  admitting(now: number): boolean {
    return now < this.admitUntilMs;
  }

  /** Records a call admitted during the probe with fewer than `limit` others running. */
  offer(sample: LimitSample): void {
    if (sample.outcome !== 'success') return;
    const admitted = sample.time - sample.latencyMs;
    if (admitted < this.startMs || admitted >= this.admitUntilMs || sample.inFlight >= this.limit) return;
    this.#samples.push(sample.latencyMs);
    this.#inFlightSum += sample.inFlight + 1;
  }

  get samples(): number {
    return this.#samples.length;
  }

  /** The measurement, or undefined with fewer than `minSamples` calls. */
  result(trim: number, minSamples: number): ProbeResult | undefined {
    const n = this.#samples.length;
    if (n < minSamples) return undefined;
    const robust = robustLatency(Float64Array.from(this.#samples), trim);
    return {
      latencyMs: robust.valueMs,
      logSe: robust.logSe,
      samples: n,
      meanInFlight: this.#inFlightSum / n,
    };
  }
}
