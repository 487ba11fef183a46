/**
 * How long a tool's calls usually take at each level of concurrency: the normal cost of load. A
 * tool whose upstream queues a little at busy moments is slower at 12 calls in flight than at 2,
 * every day; a call at 12 in flight is judged against calls at 12, not at 2. Buckets are powers of
 * two (1, 2–3, 4–7, …, 64+) of the calls in flight at admission, the call included.
 *
 * Learned only from calls the analyzer accepts as normal, slowly (≈ the last 100 per bucket), so an
 * incident never teaches the curve that it is normal. Pure, O(1) per call.
 */
const BUCKETS = 7;
/** Calls a bucket needs before it speaks. */
const MIN_CALLS = 10;
/** Slowest learning rate: the curve follows about the last 1 / ALPHA calls of a bucket. */
const ALPHA = 0.01;

export class LatencyCurve {
  readonly #mean = new Float64Array(BUCKETS);
  readonly #count = new Float64Array(BUCKETS);

  /** The bucket of a concurrency ≥ 1. */
  static bucketOf(concurrency: number): number {
    return Math.min(BUCKETS - 1, Math.max(0, Math.floor(Math.log2(Math.max(1, concurrency)))));
  }

  /** Learns from a normal call: its concurrency (itself included) and log execution time. */
  learn(concurrency: number, logLatency: number): void {
    if (!Number.isFinite(logLatency)) return;
    const b = LatencyCurve.bucketOf(concurrency);
    const n = ++this.#count[b]!;
    this.#mean[b]! += Math.max(1 / n, ALPHA) * (logLatency - this.#mean[b]!);
  }

  /**
   * How much slower (log units, ≥ 0) calls at `concurrency` usually are than at the concurrency the
   * tool usually runs at: 0 until both buckets are known. A bucket never seen borrows its nearest
   * known neighbour below (load beyond anything seen is not assumed to cost more).
   */
  offset(concurrency: number): number {
    let usual = -1;
    for (let b = 0; b < BUCKETS; b++)
      if (this.#count[b]! >= MIN_CALLS && (usual < 0 || this.#count[b]! > this.#count[usual]!)) usual = b;
    if (usual < 0) return 0;
    let b = LatencyCurve.bucketOf(concurrency);
    while (b > 0 && this.#count[b]! < MIN_CALLS) b--;
    if (this.#count[b]! < MIN_CALLS) return 0;
    return Math.max(0, this.#mean[b]! - this.#mean[usual]!);
  }

  reset(): void {
    this.#mean.fill(0);
    this.#count.fill(0);
  }
}
