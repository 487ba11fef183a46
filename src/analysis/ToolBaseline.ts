import { quantileSorted } from 'simple-statistics';
import {
  F_CPU,
  F_ERROR,
  F_HEAP,
  F_INPUT,
  F_LATENCY,
  F_OUTPUT,
  FEATURE_COUNT,
  FEATURE_SPECS,
  naturalValue,
} from './Features.js';
import { decodeFloat32, encodeArray } from './TypedArrayCodec.js';
import type { FeatureName } from './Verdict.js';

/** Sizes and rates of a tool's baseline. */
export interface BaselineOptions {
  /** Accepted (not anomalous) calls kept for the robust statistics. */
  readonly windowSize: number;
  /** Latest calls of any kind, kept for recent levels and for re-basing on acknowledge. */
  readonly recentSize: number;
  /** Accepted calls needed before the first baseline. */
  readonly warmupCalls: number;
  /** Fastest the location may move, transformed units (≈ relative change for log features) per minute. */
  readonly driftPerMinute: number;
}

/** JSON form of a baseline (typed arrays as base64, rings unrolled oldest first). */
export interface BaselineData {
  readonly loc: (number | null)[];
  readonly scale: number[];
  readonly zsd: number[];
  readonly typical: (number | null)[];
  readonly high: (number | null)[];
  readonly errorRate: number;
  readonly ready: boolean;
  readonly learned: boolean;
  readonly acceptedTotal: number;
  readonly lastRefresh: number;
  readonly window: string;
  readonly windowCount: number;
  readonly recent: string;
  readonly recentCount: number;
}

const D = FEATURE_COUNT;
const MAD_TO_SIGMA = 1.4826;
/** Figures whose pairwise relations can explain a forest-only anomaly. */
const RELATION_FEATURES = [F_INPUT, F_OUTPUT, F_LATENCY, F_CPU, F_HEAP];

/** Two figures whose correlation changed: the relation the forest found broken. */
export interface BrokenRelation {
  readonly a: FeatureName;
  readonly b: FeatureName;
  /** Correlation in the baseline window, and over the latest calls. */
  readonly before: number;
  readonly after: number;
}

/** Pearson correlation of features i and j over rows `row(0..n-1)` of `data` (NaN rows skipped). */
function correlation(
  data: Float32Array,
  n: number,
  i: number,
  j: number,
  row: (k: number) => number,
): number {
  let m = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let k = 0; k < n; k++) {
    const r = row(k) * D;
    const x = data[r + i]!;
    const y = data[r + j]!;
    if (Number.isNaN(x) || Number.isNaN(y)) continue;
    m++;
    sx += x;
    sy += y;
    sxx += x * x;
    syy += y * y;
    sxy += x * y;
  }
  if (m < 16) return Number.NaN;
  const vx = sxx - (sx * sx) / m;
  const vy = syy - (sy * sy) / m;
  // A figure that does not vary has no relation to break.
  if (vx <= 1e-9 * m || vy <= 1e-9 * m) return Number.NaN;
  return (sxy - (sx * sy) / m) / Math.sqrt(vx * vy);
}
/** Below this, a feature is near-constant and its evidence is judged by materiality alone. */
const MIN_ZSD = 0.25;

/**
 * Robust, bounded, streaming location and scale of one tool's transformed features.
 * The hot path only appends to two rings; `refresh` (off the hot path) sorts the
 * window and recomputes median and MAD per feature via `simple-statistics`.
 *
 * Drift: anomalous calls are not accepted into the window, so a regression cannot
 * teach the baseline that it is normal. Accepted calls can still move the median
 * (an immaterial change such as a 5 % slower deploy never opens an episode); the
 * location then follows it at most `driftPerMinute`, so the change is absorbed in
 * bounded time, while a steep trend (a leak) outruns the baseline and shows up.
 */
export class ToolBaseline {
  /** Robust location (median) per feature, transformed units; NaN when unknown. */
  readonly loc = new Float64Array(D).fill(Number.NaN);
  /** Robust scale (1.4826 · MAD, floored) per feature, transformed units. */
  readonly scale = new Float64Array(D).fill(1);
  /** The median in natural units, for verdicts and status. */
  readonly typical = new Float64Array(D).fill(Number.NaN);
  /** 95th percentile in natural units, for status. */
  readonly high = new Float64Array(D).fill(Number.NaN);
  /**
   * Root-mean-square of the clipped z-scores of the window per feature: how wide
   * "normal" really is in z units once heavy tails are clipped, so evidence is
   * calibrated per tool and feature instead of assuming a Gaussian.
   */
  readonly zsd = new Float64Array(D).fill(1);
  /** Error rate of accepted calls (with a half-call prior, never exactly 0). */
  errorRate = 0;
  /** A first baseline exists. */
  ready = false;
  /** The window has filled once; from then on the location is rate-limited. */
  learned = false;
  acceptedTotal = 0;
  lastRefresh = Number.NaN;
  acceptedSinceRefresh = 0;

  private readonly window: Float32Array;
  private windowHead = 0;
  private windowCount = 0;
  private readonly recent: Float32Array;
  private recentHead = 0;
  private recentCount = 0;

  constructor(private readonly options: BaselineOptions) {
    this.window = new Float32Array(options.windowSize * D);
    this.recent = new Float32Array(options.recentSize * D);
  }

  /** Records a call's features; `accept` adds it to the window the baseline learns from. O(D). */
  push(x: Float64Array, accept: boolean): void {
    const r = this.recentHead * D;
    for (let j = 0; j < D; j++) this.recent[r + j] = x[j]!;
    this.recentHead = (this.recentHead + 1) % this.options.recentSize;
    if (this.recentCount < this.options.recentSize) this.recentCount++;
    if (!accept) return;
    const w = this.windowHead * D;
    for (let j = 0; j < D; j++) this.window[w + j] = x[j]!;
    this.windowHead = (this.windowHead + 1) % this.options.windowSize;
    if (this.windowCount < this.options.windowSize) this.windowCount++;
    this.acceptedTotal++;
    this.acceptedSinceRefresh++;
  }

  /** Accepted calls in the window. */
  get size(): number {
    return this.windowCount;
  }

  /** True when a refresh would change something worth the sort. */
  due(now: number, refreshMs: number): boolean {
    if (!this.ready) return this.acceptedTotal >= this.options.warmupCalls;
    return this.acceptedSinceRefresh > 0 && !(now - this.lastRefresh < refreshMs);
  }

  /**
   * Recomputes location and scale from the window. Sorts: call off the hot path.
   * `scratch` needs room for two windows; `clipZ` is the evidence clip (for `zsd`).
   */
  refresh(now: number, scratch: Float64Array, clipZ = 4): void {
    const elapsed = Number.isFinite(this.lastRefresh) ? Math.max(0, now - this.lastRefresh) : 0;
    const allowed = this.learned
      ? (this.options.driftPerMinute * elapsed) / 60_000
      : Number.POSITIVE_INFINITY;
    const w = this.options.windowSize;
    for (let j = 0; j < D; j++) {
      const n = this.gather(this.window, this.windowCount, j, scratch);
      if (n === 0) continue;
      const sorted = scratch.subarray(0, n).sort();
      if (j === F_ERROR) {
        let errors = 0;
        for (let i = 0; i < n; i++) errors += sorted[i]!;
        this.errorRate = (errors + 0.5) / (n + 1);
        this.typical[j] = this.errorRate;
        continue;
      }
      const median = quantileSorted(sorted as unknown as number[], 0.5);
      const p95 = quantileSorted(sorted as unknown as number[], 0.95);
      const deviations = scratch.subarray(w, w + n);
      for (let i = 0; i < n; i++) deviations[i] = Math.abs(sorted[i]! - median);
      deviations.sort();
      const mad = quantileSorted(deviations as unknown as number[], 0.5);
      const current = this.loc[j]!;
      const loc = Number.isNaN(current) ? median : current + clamp(median - current, allowed);
      const scale = Math.max(MAD_TO_SIGMA * mad, FEATURE_SPECS[j]!.scaleFloor);
      let squares = 0;
      for (let i = 0; i < n; i++) {
        const z = clamp((sorted[i]! - loc) / scale, clipZ);
        squares += z * z;
      }
      this.loc[j] = loc;
      this.scale[j] = scale;
      this.zsd[j] = Math.max(MIN_ZSD, Math.sqrt(squares / n));
      this.typical[j] = naturalValue(j, loc);
      this.high[j] = naturalValue(j, p95);
    }
    this.ready = true;
    if (this.windowCount >= this.options.windowSize) this.learned = true;
    this.lastRefresh = now;
    this.acceptedSinceRefresh = 0;
  }

  /**
   * Takes the recent calls, whatever they looked like, as the new normal (an
   * operator acknowledged the change): the window is replaced and the location
   * jumps instead of drifting.
   */
  rebase(now: number, scratch: Float64Array, clipZ = 4): void {
    this.window.fill(0);
    this.windowHead = 0;
    this.windowCount = 0;
    for (let i = 0; i < this.recentCount; i++) {
      const at = this.recentIndex(this.recentCount - 1 - i) * D;
      this.window.set(this.recent.subarray(at, at + D), this.windowHead * D);
      this.windowHead = (this.windowHead + 1) % this.options.windowSize;
      this.windowCount = Math.min(this.windowCount + 1, this.options.windowSize);
    }
    this.loc.fill(Number.NaN);
    this.learned = false;
    this.lastRefresh = Number.NaN;
    if (this.windowCount > 0) this.refresh(now, scratch, clipZ);
    this.learned = this.windowCount >= this.options.windowSize;
  }

  /**
   * Median of the last `m` informative values of feature `j` among recent calls,
   * transformed units (NaN when there are none). Bounded work: at most
   * `recentSize` reads and an insertion sort of `m` values.
   */
  recentMedian(j: number, m: number, scratch: Float64Array): number {
    let n = 0;
    for (let back = 0; back < this.recentCount && n < m; back++) {
      const v = this.recent[this.recentIndex(back) * D + j]!;
      if (Number.isNaN(v)) continue;
      let k = n++;
      while (k > 0 && scratch[k - 1]! > v) {
        scratch[k] = scratch[k - 1]!;
        k--;
      }
      scratch[k] = v;
    }
    if (n === 0) return Number.NaN;
    return n % 2 === 1 ? scratch[(n - 1) >> 1]! : (scratch[n / 2 - 1]! + scratch[n / 2]!) / 2;
  }

  /**
   * The pair of figures whose relation changed most between the window and the latest
   * `recentCalls` calls (Pearson correlation of the transformed values), when it changed by at
   * least `minChange`: what the isolation forest saw when no single figure moved. Off the hot path
   * (explanations only): O(window × pairs).
   */
  brokenRelation(recentCalls = 64, minChange = 0.3): BrokenRelation | undefined {
    let found: BrokenRelation | undefined;
    for (let a = 0; a < RELATION_FEATURES.length; a++) {
      for (let b = a + 1; b < RELATION_FEATURES.length; b++) {
        const i = RELATION_FEATURES[a]!;
        const j = RELATION_FEATURES[b]!;
        const before = correlation(this.window, this.windowCount, i, j, (k) => k);
        const n = Math.min(recentCalls, this.recentCount);
        const after = correlation(this.recent, n, i, j, (k) => this.recentIndex(k));
        if (Number.isNaN(before) || Number.isNaN(after)) continue;
        const change = Math.abs(before - after);
        if (change >= minChange && (found === undefined || change > Math.abs(found.before - found.after)))
          found = { a: FEATURE_SPECS[i]!.name, b: FEATURE_SPECS[j]!.name, before, after };
      }
    }
    return found;
  }

  /**
   * Copies the accepted rows into `out` (row-major), NaN imputed with the location;
   * returns the number of rows. For forest training.
   */
  copyWindow(out: Float64Array): number {
    for (let i = 0; i < this.windowCount; i++) {
      for (let j = 0; j < D; j++) {
        const v = this.window[i * D + j]!;
        out[i * D + j] = Number.isNaN(v) ? (Number.isNaN(this.loc[j]!) ? 0 : this.loc[j]!) : v;
      }
    }
    return this.windowCount;
  }

  toJSON(): BaselineData {
    const orNull = (v: number) => (Number.isFinite(v) ? v : null);
    return {
      loc: Array.from(this.loc, orNull),
      scale: Array.from(this.scale),
      zsd: Array.from(this.zsd),
      typical: Array.from(this.typical, orNull),
      high: Array.from(this.high, orNull),
      errorRate: this.errorRate,
      ready: this.ready,
      learned: this.learned,
      acceptedTotal: this.acceptedTotal,
      lastRefresh: Number.isFinite(this.lastRefresh) ? this.lastRefresh : 0,
      window: encodeArray(
        this.unroll(this.window, this.windowHead, this.windowCount, this.options.windowSize),
      ),
      windowCount: this.windowCount,
      recent: encodeArray(
        this.unroll(this.recent, this.recentHead, this.recentCount, this.options.recentSize),
      ),
      recentCount: this.recentCount,
    };
  }

  /** Loads a snapshot taken with the same feature layout; windows are cut to this baseline's sizes. */
  load(data: BaselineData): void {
    const window = decodeFloat32(data.window);
    const recent = decodeFloat32(data.recent);
    this.windowCount = Math.min(data.windowCount, this.options.windowSize, window.length / D);
    this.window.set(window.subarray((data.windowCount - this.windowCount) * D, data.windowCount * D));
    this.windowHead = this.windowCount % this.options.windowSize;
    this.recentCount = Math.min(data.recentCount, this.options.recentSize, recent.length / D);
    this.recent.set(recent.subarray((data.recentCount - this.recentCount) * D, data.recentCount * D));
    this.recentHead = this.recentCount % this.options.recentSize;
    this.acceptedTotal = data.acceptedTotal;
    this.acceptedSinceRefresh = 0;
    const num = (v: number | null | undefined, d: number) => (typeof v === 'number' ? v : d);
    for (let j = 0; j < D; j++) {
      this.loc[j] = num(data.loc[j], Number.NaN);
      this.scale[j] = num(data.scale[j], 1);
      this.zsd[j] = num(data.zsd[j], 1);
      this.typical[j] = num(data.typical[j], Number.NaN);
      this.high[j] = num(data.high[j], Number.NaN);
    }
    this.errorRate = data.errorRate;
    this.ready = data.ready;
    this.learned = data.learned && this.windowCount >= this.options.windowSize;
    this.lastRefresh = data.lastRefresh;
  }

  private recentIndex(back: number): number {
    const size = this.options.recentSize;
    return (this.recentHead - 1 - back + 2 * size) % size;
  }

  private gather(ring: Float32Array, count: number, j: number, out: Float64Array): number {
    let n = 0;
    for (let i = 0; i < count; i++) {
      const v = ring[i * D + j]!;
      if (!Number.isNaN(v)) out[n++] = v;
    }
    return n;
  }

  private unroll(ring: Float32Array, head: number, count: number, size: number): Float32Array {
    const out = new Float32Array(count * D);
    const start = count < size ? 0 : head;
    for (let i = 0; i < count; i++) {
      const from = ((start + i) % size) * D;
      out.set(ring.subarray(from, from + D), i * D);
    }
    return out;
  }
}

function clamp(v: number, limit: number): number {
  return v > limit ? limit : Math.max(v, -limit);
}
