/**
 * Leak detection from an upstream process's resident memory, the one memory figure a tool in another
 * process has (it has no per-call heap). A leak is memory that keeps growing: over the last few
 * seconds the resident size rose steadily (most steps up, a least-squares slope that adds a material
 * amount) to a level the process never reached before. A process warming up, or the saw-tooth of a
 * garbage collector that returns to a level it had already reached, is not one. Pure: time comes with
 * the samples.
 */

/** Samples closer than this are one. */
const SAMPLE_MS = 250;
/** The stretch over which growth must be steady. */
const WINDOW_MS = 4000;
/** History needed before judging: a process's first seconds are its warm-up. */
const HISTORY_MS = 10_000;
/** Growth over the window that counts, at least: bytes, and a share of the process's size. */
const MIN_GROWTH_BYTES = 8 * 1024 * 1024;
const MIN_GROWTH_SHARE = 0.08;
/** Share of steps that must go up. */
const STEADY_SHARE = 0.6;
const CAPACITY = 256;

/** What the trend says now. */
export interface MemoryTrendState {
  /** Steady, material growth beyond any earlier level. */
  readonly leaking: boolean;
  /** Least-squares growth over the window, bytes per second (NaN without enough samples). */
  readonly bytesPerSec: number;
  /** Latest resident size, bytes. */
  readonly rssBytes: number;
  /** The highest size before the window, bytes. */
  readonly previousPeakBytes: number;
}

export class MemoryTrend {
  readonly #t = new Float64Array(CAPACITY);
  readonly #m = new Float64Array(CAPACITY);
  #count = 0;
  #first = Number.NaN;
  /** Highest size among samples that have left the window. */
  #peakBefore = 0;
  #oldest = 0;
  #state: MemoryTrendState = { leaking: false, bytesPerSec: Number.NaN, rssBytes: 0, previousPeakBytes: 0 };

  /** Adds a sample (a finished call's `upstreamRssBytes` and its end time); O(1) amortised. */
  add(time: number, rssBytes: number): MemoryTrendState {
    if (!(rssBytes > 0)) return this.#state;
    const last = this.#count > 0 ? this.#t[(this.#count - 1) % CAPACITY]! : Number.NEGATIVE_INFINITY;
    if (time - last < SAMPLE_MS) return this.#state;
    if (Number.isNaN(this.#first)) this.#first = time;
    const i = this.#count % CAPACITY;
    if (this.#count >= CAPACITY) this.#retire(i);
    this.#t[i] = time;
    this.#m[i] = rssBytes;
    this.#count++;
    // Samples older than the window leave it, remembering the highest level reached.
    while (this.#oldest < this.#count - 1 && time - this.#t[this.#oldest % CAPACITY]! > WINDOW_MS) {
      this.#retire(this.#oldest % CAPACITY);
      this.#oldest++;
    }
    this.#state = this.#judge(time, rssBytes);
    return this.#state;
  }

  get state(): MemoryTrendState {
    return this.#state;
  }

  #retire(i: number): void {
    if (this.#m[i]! > this.#peakBefore) this.#peakBefore = this.#m[i]!;
  }

  #judge(now: number, rss: number): MemoryTrendState {
    const start = Math.max(this.#oldest, this.#count - CAPACITY);
    const n = this.#count - start;
    if (n < 8 || now - this.#first < HISTORY_MS) {
      return { leaking: false, bytesPerSec: Number.NaN, rssBytes: rss, previousPeakBytes: this.#peakBefore };
    }
    let st = 0;
    let sm = 0;
    for (let k = start; k < this.#count; k++) {
      st += this.#t[k % CAPACITY]! - now;
      sm += this.#m[k % CAPACITY]!;
    }
    const tMean = st / n;
    const mMean = sm / n;
    let stt = 0;
    let stm = 0;
    let ups = 0;
    for (let k = start; k < this.#count; k++) {
      const dt = this.#t[k % CAPACITY]! - now - tMean;
      stt += dt * dt;
      stm += dt * (this.#m[k % CAPACITY]! - mMean);
      if (k > start && this.#m[k % CAPACITY]! > this.#m[(k - 1) % CAPACITY]!) ups++;
    }
    const bytesPerMs = stt > 0 ? stm / stt : 0;
    const span = this.#t[(this.#count - 1) % CAPACITY]! - this.#t[start % CAPACITY]!;
    const growth = bytesPerMs * Math.max(span, WINDOW_MS / 2);
    const needed = Math.max(MIN_GROWTH_BYTES, MIN_GROWTH_SHARE * this.#m[start % CAPACITY]!);
    const leaking = growth >= needed && ups >= STEADY_SHARE * (n - 1) && rss >= this.#peakBefore + needed / 2;
    return { leaking, bytesPerSec: bytesPerMs * 1000, rssBytes: rss, previousPeakBytes: this.#peakBefore };
  }
}
