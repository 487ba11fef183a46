/**
 * The latest calls' caller-seen latency (queue wait included) and failures: what an SLO is about.
 * O(1) per call; the p95 sorts at most `size` values and is read only when a verdict needs it
 * (an episode's severity), at most once per {@link P95_REUSE_CALLS} calls.
 */
const P95_REUSE_CALLS = 8;

export class RecentLatency {
  readonly #latency: Float64Array;
  readonly #failed: Uint8Array;
  readonly #sorted: Float64Array;
  #count = 0;
  #head = 0;
  #p95 = Number.NaN;
  #p95At = Number.NEGATIVE_INFINITY;
  #added = 0;

  constructor(readonly size: number) {
    this.#latency = new Float64Array(size);
    this.#failed = new Uint8Array(size);
    this.#sorted = new Float64Array(size);
  }

  add(latencyMs: number, failed: boolean): void {
    this.#latency[this.#head] = latencyMs;
    this.#failed[this.#head] = failed ? 1 : 0;
    this.#head = (this.#head + 1) % this.size;
    if (this.#count < this.size) this.#count++;
    this.#added++;
  }

  /** 95th percentile (nearest rank) of the latest calls' latency, ms; NaN without calls. */
  p95(): number {
    if (this.#added - this.#p95At < P95_REUSE_CALLS) return this.#p95;
    const n = this.#count;
    if (n === 0) return Number.NaN;
    const sorted = this.#sorted.subarray(0, n);
    sorted.set(this.#latency.subarray(0, n));
    sorted.sort();
    this.#p95 = sorted[Math.min(n - 1, Math.ceil(0.95 * n) - 1)]!;
    this.#p95At = this.#added;
    return this.#p95;
  }

  /** Share of the latest calls that failed. */
  errorRate(): number {
    let failed = 0;
    for (let i = 0; i < this.#count; i++) failed += this.#failed[i]!;
    return this.#count === 0 ? 0 : failed / this.#count;
  }
}
