/** Log-spaced bins: 8 per octave (each ≈ 9 % wide), from 2⁻¹⁰ ms (1 µs) to 2²² ms (70 min). */
const BINS_PER_OCTAVE = 8;
const LOWEST_OCTAVE = -10;
const BINS = 32 * BINS_PER_OCTAVE;
/** The threshold is recomputed after this many calls of a name (amortised: a bin scan per 32 calls). */
const RECOMPUTE_EVERY = 32;

function binOf(ms: number): number {
  if (!(ms > 0)) return 0;
  const bin = Math.floor((Math.log2(ms) - LOWEST_OCTAVE) * BINS_PER_OCTAVE);
  return bin < 0 ? 0 : bin >= BINS ? BINS - 1 : bin;
}

/** Upper edge of a bin, ms. */
function upperEdge(bin: number): number {
  return 2 ** ((bin + 1) / BINS_PER_OCTAVE + LOWEST_OCTAVE);
}

interface NameHistory {
  readonly counts: Uint32Array;
  total: number;
  /** Calls since the threshold was last computed / since counts were last halved. */
  sinceRecompute: number;
  sinceDecay: number;
  /** Highest bin not above the quantile: a call in a higher bin is slow. `BINS`: none yet. */
  thresholdBin: number;
  highestBin: number;
}

/** Options of {@link SlowCallThreshold}. */
export interface SlowCallThresholdOptions {
  /** @default 0.99 */
  quantile?: number;
  /** Calls of a name before any of them can be slow. @default 100 */
  minCalls?: number;
  /** Counts are halved after this many calls, so the quantile follows recent behaviour. @default 1000 */
  halfLifeCalls?: number;
  /** Names tracked at most; later names are never slow. @default 10000 */
  maxNames?: number;
}

/**
 * "Slower than this operation's current p99", O(1) per call and without
 * sorting: each name's durations go into log-spaced bins (within ≈ 9 %), the
 * counts are halved every `halfLifeCalls` calls (the quantile follows what the
 * operation does now, not what it did an hour ago), and the quantile's bin is
 * recomputed every 32 calls. A call is slow when its bin lies above the
 * quantile's bin, judged against the calls before it. Pure: no clock, no I/O.
 */
export class SlowCallThreshold {
  readonly #tail: number;
  readonly #minCalls: number;
  readonly #halfLife: number;
  readonly #maxNames: number;
  readonly #names = new Map<string, NameHistory>();

  constructor(options: SlowCallThresholdOptions = {}) {
    this.#tail = 1 - (options.quantile ?? 0.99);
    this.#minCalls = options.minCalls ?? 100;
    this.#halfLife = options.halfLifeCalls ?? 1000;
    this.#maxNames = options.maxNames ?? 10_000;
  }

  /** Records one call of `name` that took `ms`; true when it was slower than the name's quantile so far. */
  observe(name: string, ms: number): boolean {
    let history = this.#names.get(name);
    if (history === undefined) {
      if (this.#names.size >= this.#maxNames) return false;
      history = {
        counts: new Uint32Array(BINS),
        total: 0,
        sinceRecompute: 0,
        sinceDecay: 0,
        thresholdBin: BINS,
        highestBin: 0,
      };
      this.#names.set(name, history);
    }
    const bin = binOf(ms);
    const slow = bin > history.thresholdBin;
    history.counts[bin] = (history.counts[bin] as number) + 1;
    history.total++;
    if (bin > history.highestBin) history.highestBin = bin;
    if (++history.sinceDecay >= this.#halfLife) this.#decay(history);
    if (
      ++history.sinceRecompute >= RECOMPUTE_EVERY ||
      (history.thresholdBin === BINS && history.total >= this.#minCalls)
    )
      this.#recompute(history);
    return slow;
  }

  /** The current threshold of `name` in ms (a call above it is slow); undefined while it has too few calls. */
  thresholdMs(name: string): number | undefined {
    const history = this.#names.get(name);
    return history && history.thresholdBin < BINS ? upperEdge(history.thresholdBin) : undefined;
  }

  #decay(history: NameHistory): void {
    history.sinceDecay = 0;
    let total = 0;
    const counts = history.counts;
    for (let bin = 0; bin <= history.highestBin; bin++) {
      const halved = (counts[bin] as number) >>> 1;
      counts[bin] = halved;
      total += halved;
    }
    history.total = total;
  }

  #recompute(history: NameHistory): void {
    history.sinceRecompute = 0;
    if (history.total < this.#minCalls) {
      // Too few calls since the last halving too: keep the threshold learned before it.
      return;
    }
    const allowed = history.total * this.#tail;
    const counts = history.counts;
    let above = 0;
    let bin = history.highestBin;
    for (; bin > 0; bin--) {
      const count = counts[bin] as number;
      if (above + count > allowed) break;
      above += count;
    }
    history.thresholdBin = bin;
  }
}
