/**
 * Success and failure counts over the last `windowMs`, in `buckets` time slices
 * (so the window slides in steps of `windowMs / buckets`). Pure: time is passed
 * in, nothing runs on its own. O(1) per record, no allocation after construction.
 */
export class RollingWindow {
  readonly windowMs: number;
  readonly #bucketMs: number;
  readonly #successes: Uint32Array;
  readonly #failures: Uint32Array;
  /** Absolute number (now / bucketMs) of the newest bucket; -1 before the first record. */
  #head = -1;
  #calls = 0;
  #failed = 0;

  /** @param buckets slices of the window @default 10 */
  constructor(windowMs: number, buckets = 10) {
    const n = Math.max(1, Math.floor(buckets));
    this.windowMs = Math.max(n, windowMs);
    this.#bucketMs = this.windowMs / n;
    this.#successes = new Uint32Array(n);
    this.#failures = new Uint32Array(n);
  }

  /** Records one outcome at time `now`. */
  record(now: number, failed: boolean): void {
    const index = this.#advance(now);
    this.#calls++;
    if (failed) {
      this.#failures[index]!++;
      this.#failed++;
    } else {
      this.#successes[index]!++;
    }
  }

  /** Calls recorded within the window ending at `now`. */
  calls(now: number): number {
    this.#advance(now);
    return this.#calls;
  }

  /** Failures recorded within the window ending at `now`. */
  failures(now: number): number {
    this.#advance(now);
    return this.#failed;
  }

  /** Forgets everything. */
  reset(): void {
    this.#successes.fill(0);
    this.#failures.fill(0);
    this.#head = -1;
    this.#calls = 0;
    this.#failed = 0;
  }

  /** Expires buckets older than the window and returns the index of the bucket for `now`. */
  #advance(now: number): number {
    const n = this.#successes.length;
    const bucket = Math.floor(now / this.#bucketMs);
    if (this.#head < 0 || bucket - this.#head >= n) {
      if (this.#calls > 0) this.reset();
      this.#head = bucket;
      return bucket % n;
    }
    // A clock never goes back; if a caller's does, keep counting into the newest bucket.
    while (this.#head < bucket) {
      this.#head++;
      const i = this.#head % n;
      this.#calls -= this.#successes[i]! + this.#failures[i]!;
      this.#failed -= this.#failures[i]!;
      this.#successes[i] = 0;
      this.#failures[i] = 0;
    }
    return this.#head % n;
  }
}
