import { type GroupSums, ResponseGroup } from '../load/index.js';
import type { LimitSample } from './LimitController.js';
import { robustLatency } from './robustLatency.js';

/** What one closed window of samples says. Latencies are execution latencies, ms. */
export interface WindowStats {
  readonly startMs: number;
  readonly endMs: number;
  /** Latency samples (successful calls) in the window. */
  readonly samples: number;
  /** Robust latency: mean of the fastest calls (see {@link robustLatency}); moves with queueing, not with outliers. */
  readonly latencyMs: number;
  /** Mean latency (includes outliers: Little's law needs it). */
  readonly meanMs: number;
  /** Standard error of log(latencyMs), from the window's own spread. */
  readonly logSe: number;
  /** Completions per second by Little's law (mean in-flight / mean latency). */
  readonly throughputPerSec: number;
  /** Mean pool concurrency seen by the sampled calls at admission (themselves included). */
  readonly meanInFlight: number;
  /** Timeouts and upstream overload errors. */
  readonly drops: number;
  readonly timeouts: number;
  /** Calls our own pool refused. */
  readonly rejected: number;
  /** Fraction of sampled calls and timeouts that took the pool's last free slot (the pool was the bottleneck). */
  readonly saturation: number;
  /** How latency varied with the concurrency calls were admitted at, within the window. */
  readonly response: GroupSums;
}

/**
 * Accumulates samples between window boundaries in O(1) per sample: a bounded buffer of
 * latencies (overwritten round-robin past `capacity`, keeping the newest) and running sums.
 * The robust latency is computed once per window, on close, by an O(n) partial selection.
 */
export class LatencyWindow {
  readonly #latencies: Float64Array;
  #count = 0;
  #stored = 0;
  #sum = 0;
  #inFlightSum = 0;
  #saturated = 0;
  #timeouts = 0;
  #overloaded = 0;
  #rejected = 0;
  #startMs: number;
  readonly #response = new ResponseGroup();

  /**
   * @param trim share of the slowest calls left out of the robust latency (0–1)
   * @param capacity latencies kept per window
   */
  constructor(
    readonly trim: number,
    startMs: number,
    capacity = 2048,
  ) {
    this.#latencies = new Float64Array(capacity);
    this.#startMs = startMs;
  }

  get startMs(): number {
    return this.#startMs;
  }

  /** Latency samples so far. */
  get count(): number {
    return this.#count;
  }

  /** Samples that say anything (latencies and drops). */
  get signals(): number {
    return this.#count + this.#timeouts + this.#overloaded;
  }

  /**
   * Answers to calls admitted before the window started describe an earlier limit and are
   * skipped; timeouts, overload errors and refusals always count (a timeout was admitted a
   * whole deadline ago, and still says the upstream is congested now).
   * @param limit the limit in force, to tell whether the call found the pool full.
   */
  add(sample: LimitSample, limit: number): void {
    if (sample.outcome === 'success' && sample.time - sample.latencyMs < this.#startMs) return;
    switch (sample.outcome) {
      case 'success': {
        this.#latencies[this.#stored % this.#latencies.length] = sample.latencyMs;
        this.#stored++;
        this.#count++;
        this.#sum += sample.latencyMs;
        this.#inFlightSum += sample.inFlight + 1;
        const admitted = sample.time - sample.latencyMs;
        this.#response.add(sample.inFlight + 1, sample.latencyMs, (admitted - this.#startMs) / 1000);
        // Queue wait alone is not enough: a call can wait under an old, lower limit.
        if (sample.inFlight + 1 >= limit) this.#saturated++;
        break;
      }
      case 'timeout':
        this.#timeouts++;
        if (sample.inFlight + 1 >= limit) this.#saturated++;
        break;
      case 'overloaded':
        this.#overloaded++;
        break;
      case 'rejected':
        this.#rejected++;
        break;
      case 'error':
        break;
    }
  }

  /** Closes the window at `endMs`, returns its stats and starts the next one. */
  close(endMs: number): WindowStats {
    const n = Math.min(this.#stored, this.#latencies.length);
    const robust = robustLatency(this.#latencies.subarray(0, n), this.trim);
    const stats: WindowStats = {
      startMs: this.#startMs,
      endMs,
      samples: this.#count,
      latencyMs: n > 0 ? robust.valueMs : Number.NaN,
      meanMs: this.#count > 0 ? this.#sum / this.#count : Number.NaN,
      logSe: robust.logSe,
      throughputPerSec: this.#count > 0 ? (1000 * this.#inFlightSum) / this.#sum : 0,
      meanInFlight: this.#count > 0 ? this.#inFlightSum / this.#count : 0,
      drops: this.#timeouts + this.#overloaded,
      timeouts: this.#timeouts,
      rejected: this.#rejected,
      saturation: this.#count + this.#timeouts > 0 ? this.#saturated / (this.#count + this.#timeouts) : 0,
      response: this.#response.sums(),
    };
    this.reset(endMs);
    return stats;
  }

  /** Forgets everything and starts a new window at `startMs`. */
  reset(startMs: number): void {
    this.#count = 0;
    this.#stored = 0;
    this.#sum = 0;
    this.#inFlightSum = 0;
    this.#saturated = 0;
    this.#timeouts = 0;
    this.#overloaded = 0;
    this.#rejected = 0;
    this.#response.reset();
    this.#startMs = startMs;
  }
}
