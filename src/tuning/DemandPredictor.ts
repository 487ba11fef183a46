/** What the predictor expects of one pool. */
export interface DemandForecast {
  /** Smoothed arrival rate now, calls per second. */
  readonly ratePerSec: number;
  /** Smoothed change of that rate, calls per second per second. */
  readonly trendPerSec2: number;
  /** Rate expected `horizonMs` ahead (never negative). */
  readonly predictedRatePerSec: number;
  /** Smoothed call duration, ms. */
  readonly durationMs: number;
  /** Calls in flight that rate would need (Little's law: rate × duration). */
  readonly predictedConcurrency: number;
  /** Closed buckets seen so far; forecasts from fewer than a handful are rough. */
  readonly buckets: number;
}

export interface DemandPredictorOptions {
  /** Bucket length for rate measurement. @default 1000 */
  readonly bucketMs?: number;
  /** Level smoothing (Holt), per bucket. @default 0.3 */
  readonly alpha?: number;
  /** Trend smoothing (Holt), per bucket. @default 0.1 */
  readonly beta?: number;
  /** How far ahead to predict. @default 30000 */
  readonly horizonMs?: number;
}

/**
 * Predicts a pool's demand from exponentially weighted history: calls are counted in fixed
 * buckets, and Holt's linear smoothing (level + trend) of the per-bucket rate forecasts the
 * rate `horizonMs` ahead; with the smoothed duration this gives the concurrency that demand
 * would need. O(1) per call; buckets close on `tick(now)` (empty ones count as zero).
 */
export class DemandPredictor {
  readonly #bucketMs: number;
  readonly #alpha: number;
  readonly #beta: number;
  readonly #horizonMs: number;
  #bucketStart: number | undefined;
  #count = 0;
  #level = 0;
  #trend = 0;
  #buckets = 0;
  #durationMs = 0;
  #durations = 0;

  constructor(options: DemandPredictorOptions = {}) {
    this.#bucketMs = options.bucketMs ?? 1000;
    this.#alpha = options.alpha ?? 0.3;
    this.#beta = options.beta ?? 0.1;
    this.#horizonMs = options.horizonMs ?? 30_000;
  }

  /** Counts one call that arrived at `time` and took `durationMs`. */
  observe(time: number, durationMs: number): void {
    this.tick(time);
    this.#count++;
    this.#durations++;
    // Faster start, then a 1/50 weight: a mean over roughly the last fifty calls.
    this.#durationMs += (durationMs - this.#durationMs) / Math.min(this.#durations, 50);
  }

  /** Closes every bucket that ended by `now`. */
  tick(now: number): void {
    if (this.#bucketStart === undefined) {
      this.#bucketStart = now;
      return;
    }
    while (now - this.#bucketStart >= this.#bucketMs) {
      const rate = (this.#count * 1000) / this.#bucketMs;
      if (this.#buckets === 0) this.#level = rate;
      else {
        const previous = this.#level;
        this.#level = this.#alpha * rate + (1 - this.#alpha) * (previous + this.#trend);
        this.#trend = this.#beta * (this.#level - previous) + (1 - this.#beta) * this.#trend;
      }
      this.#buckets++;
      this.#count = 0;
      this.#bucketStart += this.#bucketMs;
      // A long idle gap: skip ahead instead of looping over every empty bucket.
      if (now - this.#bucketStart > 100 * this.#bucketMs) this.#bucketStart = now - this.#bucketMs;
    }
  }

  forecast(): DemandForecast {
    const perSec = 1000 / this.#bucketMs;
    const trendPerSec2 = this.#trend * perSec;
    const predictedRatePerSec = Math.max(0, this.#level + (this.#trend * this.#horizonMs) / this.#bucketMs);
    return {
      ratePerSec: this.#level,
      trendPerSec2,
      predictedRatePerSec,
      durationMs: this.#durationMs,
      predictedConcurrency: (predictedRatePerSec * this.#durationMs) / 1000,
      buckets: this.#buckets,
    };
  }
}
