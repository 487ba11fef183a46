import { F_CPU_RATIO, F_ERROR, F_IN_FLIGHT, F_QUEUE, FEATURE_COUNT } from './Features.js';
import { IsolationForest, type IsolationForestData } from './IsolationForest.js';
import { IsolationForestBuilder } from './IsolationForestBuilder.js';
import type { RandomSource } from './Random.js';

/** JSON form of a tool's forest and its score statistics. */
export interface ToolForestData {
  readonly forest: IsolationForestData;
  readonly mean: number;
  readonly sd: number;
  readonly trainedAt: number;
}

/** Forest size and cadence. */
export interface ToolForestOptions {
  readonly trees: number;
  readonly sampleSize: number;
  /** Trees walked per scored call, rotating through the forest. */
  readonly treesPerCall: number;
  readonly fastAlpha: number;
  readonly slowAlpha: number;
}

const D = FEATURE_COUNT;
/** Trees grown per maintenance step: ~0.1 ms each at ψ = 256, so a step stays far below a millisecond. */
const TREES_PER_STEP = 8;
/** Training rows scored per step when measuring the forest's own score distribution. */
const ROWS_PER_STEP = 256;
/**
 * Columns the forest does not see: the load context (queue wait, calls in flight) describes the
 * traffic, not the tool — a busier hour is not an unusual tool — and the error flag has its own test.
 * Held constant, they are never split on.
 */
const UNSEEN = [F_QUEUE, F_IN_FLIGHT, F_ERROR, F_CPU_RATIO];

/**
 * One tool's isolation forest, the distribution of its scores on the data it was
 * trained on, and the running evidence of recent scores against that
 * distribution. A single high score means little (heavy tails are isolated too);
 * recent scores persistently above the training distribution are what count.
 *
 * Cost: walking all 100 trees takes ~6 µs in V8 (every level is a dependent,
 * unpredictable load), three times the per-call budget. Each call therefore walks
 * `treesPerCall` trees, rotating, which estimates the full forest's path length
 * without bias; the evidence averages over calls, so it sees the whole forest.
 * The training statistics are measured the same way, so the extra variance of the
 * estimate is part of "normal".
 */
export class ToolForest {
  forest: IsolationForest | undefined;
  /** Mean and standard deviation of the forest's scores on its training rows. */
  mean = 0.5;
  sd = 0.05;
  trainedAt = Number.NaN;
  /** Set when the baseline was re-based: the forest describes the old normal. */
  stale = false;
  private fast = 0;
  private slow = 0;
  private readonly fastNorm: number;
  private readonly slowNorm: number;
  private readonly row = new Float64Array(D);
  private nextTree = 0;

  constructor(private readonly options: ToolForestOptions) {
    this.fastNorm = Math.sqrt(options.fastAlpha / (2 - options.fastAlpha));
    this.slowNorm = Math.sqrt(options.slowAlpha / (2 - options.slowAlpha));
  }

  /** Scores a call (NaN features imputed with `fill`) and updates the evidence; returns the score. */
  score(x: Float64Array, fill: Float64Array): number | undefined {
    const forest = this.forest;
    if (forest === undefined) return undefined;
    const row = this.row;
    for (let j = 0; j < D; j++) {
      const v = x[j]!;
      row[j] = Number.isNaN(v) ? (Number.isNaN(fill[j]!) ? 0 : fill[j]!) : v;
    }
    for (const j of UNSEEN) row[j] = 0;
    const s = forest.scoreOver(row, 0, this.nextTree, this.options.treesPerCall);
    this.nextTree = (this.nextTree + this.options.treesPerCall) % forest.trees;
    this.fast += this.options.fastAlpha * (s - this.fast);
    this.slow += this.options.slowAlpha * (s - this.slow);
    return s;
  }

  /**
   * Standard deviations of the slow score average (≈ the last 60 calls) above the training mean:
   * the forest's sustained view, what its own alarm reads (0 without a forest).
   */
  sustainedEvidence(): number {
    if (this.forest === undefined || this.stale) return 0;
    return (this.slow - this.mean) / (this.sd * this.slowNorm);
  }

  /** Standard deviations of the recent score averages above the training mean (0 without a forest). */
  evidence(): number {
    if (this.forest === undefined || this.stale) return 0;
    const f = (this.fast - this.mean) / (this.sd * this.fastNorm);
    const s = (this.slow - this.mean) / (this.sd * this.slowNorm);
    return Math.max(f, s);
  }

  /**
   * Trains a new forest on `rows` rows of `data` in steps (a generator that yields
   * between slices of work) and installs it when done, replacing the old one.
   * `stillValid` is asked before installing: a re-base meanwhile discards the result.
   */
  *train(
    data: Float64Array,
    rows: number,
    random: RandomSource,
    now: number,
    stillValid: () => boolean,
  ): Generator<void, boolean> {
    const builder = new IsolationForestBuilder(data, rows, D, random, {
      trees: this.options.trees,
      sampleSize: this.options.sampleSize,
    });
    // The builder's copy: the caller's buffer is shared and may be reused while this pauses.
    data = builder.data;
    for (let i = 0; i < rows; i++) for (const j of UNSEEN) data[i * D + j] = 0;
    while (builder.step(TREES_PER_STEP)) yield;
    const forest = builder.build();
    yield;
    let sum = 0;
    let squares = 0;
    for (let start = 0; start < rows; start += ROWS_PER_STEP) {
      const end = Math.min(rows, start + ROWS_PER_STEP);
      for (let i = start; i < end; i++) {
        const s = forest.scoreOver(data, i * D, i * this.options.treesPerCall, this.options.treesPerCall);
        sum += s;
        squares += s * s;
      }
      if (end < rows) yield;
    }
    if (!stillValid()) return false;
    const mean = sum / rows;
    this.install(forest, mean, Math.sqrt(Math.max(0, squares / rows - mean * mean)), now);
    return true;
  }

  /** Replaces the forest (never adds to it) and restarts the evidence at the new mean. */
  install(forest: IsolationForest, mean: number, sd: number, trainedAt: number): void {
    this.forest = forest;
    this.mean = mean;
    // A floor keeps a near-degenerate forest (constant features) from amplifying noise.
    this.sd = Math.max(sd, 0.01);
    this.trainedAt = trainedAt;
    this.stale = false;
    this.fast = mean;
    this.slow = mean;
  }

  /** Forgets the recent evidence (after an acknowledgement). */
  resetEvidence(): void {
    this.fast = this.mean;
    this.slow = this.mean;
  }

  toJSON(): ToolForestData | undefined {
    if (this.forest === undefined) return undefined;
    return { forest: this.forest.toJSON(), mean: this.mean, sd: this.sd, trainedAt: this.trainedAt };
  }

  load(data: ToolForestData): void {
    this.install(IsolationForest.fromJSON(data.forest), data.mean, data.sd, data.trainedAt);
  }
}
