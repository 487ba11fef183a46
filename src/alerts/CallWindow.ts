import { quantile } from 'simple-statistics';
import type { CallObservation } from '../pipeline/CallObservation.js';

/** Figures of the calls in a window. */
export interface WindowStats {
  readonly calls: number;
  readonly errors: number;
  /** 95th percentile of successful calls' duration, ms (NaN without any). */
  readonly p95Ms: number;
}

/**
 * The latest calls of one subject (a tool or a service) in a bounded ring: end
 * time, duration, failed or not. Pushing is O(1) on the hot path; `stats` walks
 * back from the newest call and is for the evaluation timer.
 */
export class CallWindow {
  private readonly times: Float64Array;
  private readonly durations: Float32Array;
  private readonly flags: Uint8Array;
  private head = 0;
  private count = 0;

  constructor(readonly capacity = 2048) {
    this.times = new Float64Array(capacity);
    this.durations = new Float32Array(capacity);
    this.flags = new Uint8Array(capacity);
  }

  /** Epoch ms of the newest call (NaN when empty). */
  get latest(): number {
    return this.count === 0 ? Number.NaN : this.times[(this.head - 1 + this.capacity) % this.capacity]!;
  }

  push(obs: CallObservation): void {
    const failed = obs.outcome !== 'success';
    // Callers' own mistakes and cancellations say nothing about the tool.
    if (failed && (obs.errorType === 'invalid_params' || obs.errorType === 'cancelled')) return;
    this.times[this.head] = obs.startTime + obs.durationMs;
    this.durations[this.head] = failed ? Number.NaN : obs.durationMs;
    this.flags[this.head] = failed ? 1 : 0;
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Stats of the calls that ended in (now − windowMs, now]; `scratch` holds up to `capacity` durations. */
  stats(now: number, windowMs: number, scratch: Float64Array): WindowStats {
    const from = now - windowMs;
    let calls = 0;
    let errors = 0;
    let n = 0;
    for (let back = 0; back < this.count; back++) {
      const i = (this.head - 1 - back + this.capacity) % this.capacity;
      const t = this.times[i]!;
      if (t <= from) break;
      if (t > now) continue;
      calls++;
      errors += this.flags[i]!;
      const d = this.durations[i]!;
      if (!Number.isNaN(d)) scratch[n++] = d;
    }
    const p95Ms = n === 0 ? Number.NaN : quantile(scratch.subarray(0, n) as unknown as number[], 0.95);
    return { calls, errors, p95Ms };
  }
}
