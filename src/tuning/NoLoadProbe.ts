import type { LimitSample } from './LimitController.js';

/** What a finished probe measured. */
export interface ProbeResult {
  /** The latency quantile of the calls admitted during the probe, ms. */
  readonly quantileMs: number;
  /** Standard error of its logarithm. */
  readonly logSe: number;
  readonly samples: number;
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
  }

  get samples(): number {
    return this.#samples.length;
  }

  /** The measurement, or undefined with fewer than `minSamples` calls. */
  result(quantile: number, minSamples: number): ProbeResult | undefined {
    const n = this.#samples.length;
    if (n < minSamples) return undefined;
    const sorted = Float64Array.from(this.#samples).sort();
    const at = (q: number): number => sorted[Math.min(n - 1, Math.floor(q * n))]!;
    const sigma = Math.max(0.05, Math.log(at(0.75) / Math.max(1e-9, at(0.25))) / 1.349);
    return { quantileMs: at(quantile), logSe: (1.36 * sigma) / Math.sqrt(n), samples: n };
  }
}
