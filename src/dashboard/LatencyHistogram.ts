// Eight bins per doubling: a bin spans ≈ 9 %, so a quantile read from its
// geometric middle is within ≈ 4.5 % of the truth — finer than a chart shows.
const BINS_PER_OCTAVE = 8;
/** Durations at or below this land in the first bin, ms. */
const MIN_MS = 0.01;
// 0.01 ms · 2^25 ≈ 5.6 min: anything slower shares the last bin (clamped by the exact max).
const OCTAVES = 25;
const BIN_COUNT = OCTAVES * BINS_PER_OCTAVE + 2;

/** The three quantiles every chart and table shows, ms. */
export interface Quantiles {
  p50: number;
  p95: number;
  p99: number;
}

/**
 * A log-spaced histogram of durations (ms) for one time bucket: O(1) `add` with no
 * allocation (the hot path may not sort), quantiles read when the bucket is shown
 * or closed. Exact min and max clamp the estimates, so a bucket of one call reads
 * that call's duration exactly.
 */
export class LatencyHistogram {
  readonly #counts = new Uint32Array(BIN_COUNT);
  #total = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;

  /** Values added since the last reset. */
  get count(): number {
    return this.#total;
  }

  add(ms: number): void {
    if (!(ms >= 0)) return;
    this.#counts[binOf(ms)]!++;
    this.#total++;
    if (ms < this.#min) this.#min = ms;
    if (ms > this.#max) this.#max = ms;
  }

  /** p50, p95 and p99 in one pass (nearest rank, like `percentile`); `undefined` when empty. */
  quantiles(): Quantiles | undefined {
    if (this.#total === 0) return undefined;
    const ranks = [0.5, 0.95, 0.99].map((q) => Math.max(1, Math.ceil(q * this.#total)));
    const out = [0, 0, 0];
    let seen = 0;
    let next = 0;
    // The top rank is the maximum, known exactly (a p99 of under 100 calls is the slowest call).
    while (next < 3 && ranks[2 - next]! >= this.#total) out[2 - next++] = this.#max;
    const known = next;
    next = 0;
    for (let bin = 0; bin < BIN_COUNT && next < 3 - known; bin++) {
      seen += this.#counts[bin]!;
      while (next < 3 - known && seen >= ranks[next]!) out[next++] = this.#clamp(middleOf(bin));
    }
    return { p50: out[0]!, p95: out[1]!, p99: out[2]! };
  }

  reset(): void {
    this.#counts.fill(0);
    this.#total = 0;
    this.#min = Number.POSITIVE_INFINITY;
    this.#max = Number.NEGATIVE_INFINITY;
  }

  #clamp(value: number): number {
    return Math.min(this.#max, Math.max(this.#min, value));
  }
}

function binOf(ms: number): number {
  if (ms <= MIN_MS) return 0;
  return Math.min(BIN_COUNT - 1, 1 + Math.floor(Math.log2(ms / MIN_MS) * BINS_PER_OCTAVE));
}

/** Geometric middle of a bin (its lower edge for the first, which holds everything ≤ MIN_MS). */
function middleOf(bin: number): number {
  if (bin === 0) return MIN_MS;
  return MIN_MS * 2 ** ((bin - 0.5) / BINS_PER_OCTAVE);
}
