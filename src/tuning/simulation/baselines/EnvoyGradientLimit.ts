import type { LimitController, LimitSample } from '../../LimitController.js';

/** Options of {@link EnvoyGradientLimit}; defaults are Envoy's adaptive concurrency defaults. */
export interface EnvoyGradientLimitOptions {
  /** Percentile of each window's latencies (0–1). @default 0.5 */
  readonly sampleQuantile?: number;
  /** `concurrency_update_interval`. @default 100 */
  readonly updateIntervalMs?: number;
  /** minRTT re-measurement period. @default 60000 */
  readonly minRttIntervalMs?: number;
  /** Jitter added to that period, as a fraction. @default 0.15 */
  readonly jitter?: number;
  /** Samples per minRTT measurement. @default 50 */
  readonly minRttRequestCount?: number;
  /** Limit pinned during the minRTT measurement, and the floor. @default 3 */
  readonly minConcurrency?: number;
  /** minRTT buffer, as a fraction of minRTT. @default 0.25 */
  readonly buffer?: number;
  /** @default 1000 */
  readonly maxLimit?: number;
  /** Uniform [0, 1) source for the jitter. */
  readonly random: () => number;
}

/**
 * Baseline: Envoy's adaptive-concurrency gradient controller (read from
 * `envoyproxy/envoy .../adaptive_concurrency/controller/gradient_controller.cc`, re-expressed).
 * Every interval: gradient = clamp((minRTT·(1+buffer)) / sampleRTT, 0.5, 2), limit =
 * gradient·limit + √(gradient·limit). minRTT is measured by pinning the limit to
 * `minConcurrency` for `minRttRequestCount` calls, at start, every `minRttIntervalMs`, and
 * after five windows in a row at the floor.
 */
export class EnvoyGradientLimit implements LimitController {
  readonly #o: Required<Omit<EnvoyGradientLimitOptions, 'random'>>;
  readonly #random: () => number;
  #limit: number;
  #deferredLimit = 0;
  #minRtt = 0;
  #samples: number[] = [];
  #inMinRtt = false;
  #minRttEpoch = 0;
  #nextMinRttAt = Number.POSITIVE_INFINITY;
  #nextUpdateAt = 0;
  #consecutiveMin = 0;
  #started = false;

  constructor(options: EnvoyGradientLimitOptions) {
    this.#o = {
      sampleQuantile: options.sampleQuantile ?? 0.5,
      updateIntervalMs: options.updateIntervalMs ?? 100,
      minRttIntervalMs: options.minRttIntervalMs ?? 60_000,
      jitter: options.jitter ?? 0.15,
      minRttRequestCount: options.minRttRequestCount ?? 50,
      minConcurrency: options.minConcurrency ?? 3,
      buffer: options.buffer ?? 0.25,
      maxLimit: options.maxLimit ?? 1000,
    };
    this.#random = options.random;
    this.#limit = this.#o.minConcurrency;
  }

  get limit(): number {
    return this.#limit;
  }

  onSample(sample: LimitSample): number {
    if (sample.outcome === 'rejected' || sample.outcome === 'error') return this.#limit;
    if (!this.#started) this.#enterMinRtt(sample.time);
    // Calls admitted before the current minRTT window do not describe it.
    if (sample.time - sample.latencyMs < this.#minRttEpoch) return this.#limit;
    this.#samples.push(sample.latencyMs);
    if (this.#inMinRtt && this.#samples.length >= this.#o.minRttRequestCount) {
      this.#minRtt = this.#quantile();
      this.#samples = [];
      this.#inMinRtt = false;
      this.#setLimit(this.#deferredLimit);
      const jitterMs = Math.floor(this.#random() * this.#o.minRttIntervalMs * this.#o.jitter);
      this.#nextMinRttAt = sample.time + this.#o.minRttIntervalMs + jitterMs;
      this.#nextUpdateAt = sample.time + this.#o.updateIntervalMs;
    }
    return this.#limit;
  }

  onTick(now: number): number {
    if (!this.#started) this.#enterMinRtt(now);
    if (this.#inMinRtt) return this.#limit;
    if (now >= this.#nextMinRttAt) {
      this.#enterMinRtt(now);
      return this.#limit;
    }
    if (now >= this.#nextUpdateAt) {
      this.#nextUpdateAt = now + this.#o.updateIntervalMs;
      if (this.#samples.length > 0) {
        const sampleRtt = this.#quantile();
        this.#samples = [];
        const gradient = Math.max(0.5, Math.min(2, (this.#minRtt * (1 + this.#o.buffer)) / sampleRtt));
        const scaled = this.#limit * gradient;
        const next = Math.floor(scaled + Math.sqrt(scaled));
        this.#setLimit(Math.max(this.#o.minConcurrency, Math.min(this.#o.maxLimit, next)));
        if (this.#consecutiveMin >= 5) this.#enterMinRtt(now);
      }
    }
    return this.#limit;
  }

  #enterMinRtt(now: number): void {
    this.#started = true;
    this.#inMinRtt = true;
    this.#deferredLimit = this.#limit;
    this.#limit = this.#o.minConcurrency;
    this.#consecutiveMin = 0;
    this.#samples = [];
    this.#minRttEpoch = now;
  }

  #setLimit(next: number): void {
    const atFloor = next === this.#o.minConcurrency && this.#limit === this.#o.minConcurrency;
    this.#consecutiveMin = atFloor ? this.#consecutiveMin + 1 : 0;
    this.#limit = next;
  }

  #quantile(): number {
    const sorted = Float64Array.from(this.#samples).sort();
    return sorted[Math.min(sorted.length - 1, Math.floor(this.#o.sampleQuantile * sorted.length))]!;
  }
}
