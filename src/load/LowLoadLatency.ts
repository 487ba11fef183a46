/**
 * The latency of the calls that ran with no more company than usual: the test that keeps a slow
 * dependency from passing for saturation.
 *
 * When a dependency slows down, more calls are in flight *because* each takes longer (Little's law);
 * with a closed-loop client (an agent waiting for each answer) the rise is immediate. Across the
 * onset, concurrency and latency then climb together, and the concurrency response reads
 * "queueing". What tells the two apart is the calls that had little company: a saturated upstream
 * answers them as fast as ever (nothing waits ahead of them), a slower one does not. So saturation
 * only explains a latency rise while the low-load calls stay fast.
 *
 * Pure, O(1) per call, no allocation: a ring of the latest low-load calls' residuals (log execution
 * time over the tool's usual, at the call's concurrency) and their times.
 */
const SIZE = 7;
/** Low-load calls older than this say nothing about now. */
const HORIZON_MS = 10_000;
/** Low-load calls needed before the test speaks. */
const MIN_CALLS = 3;

export class LowLoadLatency {
  readonly #time = new Float64Array(SIZE).fill(Number.NEGATIVE_INFINITY);
  readonly #residual = new Float64Array(SIZE);
  readonly #scratch = new Float64Array(SIZE);
  #head = 0;

  /**
   * Adds a call's residual (its log execution time over the usual at its concurrency), if it ran
   * with at most half its `usualCompany` of other calls in flight, or one: an upstream that lost
   * capacity still answers those at once, a slower one does not.
   */
  add(time: number, company: number, usualCompany: number, residual: number): void {
    if (!Number.isFinite(residual) || company > Math.max(1, Math.floor(usualCompany / 2))) return;
    this.#time[this.#head] = time;
    this.#residual[this.#head] = residual;
    this.#head = (this.#head + 1) % SIZE;
  }

  /**
   * Whether the recent low-load calls are slower than usual by at least `minLog` (log units): their
   * median residual, over at least {@link MIN_CALLS} calls of the last {@link HORIZON_MS}, also
   * beyond three standard errors of a median of them (`scale`: the latency's robust spread).
   */
  slow(now: number, minLog: number, scale: number): boolean {
    let m = 0;
    for (let i = 0; i < SIZE; i++)
      if (now - this.#time[i]! <= HORIZON_MS && this.#time[i]! <= now)
        this.#scratch[m++] = this.#residual[i]!;
    if (m < MIN_CALLS) return false;
    const recent = this.#scratch.subarray(0, m).sort();
    const median = m % 2 === 1 ? recent[(m - 1) / 2]! : (recent[m / 2 - 1]! + recent[m / 2]!) / 2;
    return median >= Math.max(minLog, (3 * 1.2533 * scale) / Math.sqrt(m));
  }

  reset(): void {
    this.#time.fill(Number.NEGATIVE_INFINITY);
    this.#head = 0;
  }
}
