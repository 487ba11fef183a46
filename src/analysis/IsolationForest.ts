import { IsolationForestBuilder } from './IsolationForestBuilder.js';
import type { RandomSource } from './Random.js';
import { decodeFloat64, decodeInt8, decodeInt32, encodeArray } from './TypedArrayCodec.js';

/**
 * Isolation forest after Liu, Ting & Zhou, "Isolation Forest" (ICDM 2008) and the
 * TKDD 2012 extension: every tree is grown on its own random subsample of ψ rows
 * (without replacement) up to the height limit ⌈log2 ψ⌉, by splitting on a random
 * attribute at a uniform random value between that attribute's min and max in the
 * node. A point's path length in a tree is the edges to its leaf plus c(leaf size);
 * its score is 2^(−E[h(x)] / c(ψ)): ≈1 isolated, ≈0.5 or less ordinary.
 *
 * Trees live in flat typed arrays (one node = attribute, value, left child; the
 * right child is always left + 1), so scoring is a tight loop with no allocation.
 * A forest is immutable: retraining builds a new one, which replaces the old
 * reference; nothing is ever appended to a trained forest.
 */

const EULER_GAMMA = 0.5772156649;

/**
 * c(n): the average path length of an unsuccessful search in a binary search tree
 * of n points, used both to normalise scores and to credit the unsplit points in a
 * leaf. c(n) = 2H(n−1) − 2(n−1)/n with H(i) ≈ ln i + γ for n > 2; c(2) = 1; else 0.
 */
export function averagePathLength(n: number): number {
  if (n > 2) return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
  return n === 2 ? 1 : 0;
}

/** Forest size. */
export interface IsolationForestOptions {
  /** Number of trees. @default 100 */
  readonly trees?: number;
  /** Subsample size ψ per tree (capped at the number of rows). @default 256 */
  readonly sampleSize?: number;
}

/** A trained forest as plain JSON (typed arrays as base64). */
export interface IsolationForestData {
  readonly trees: number;
  readonly sampleSize: number;
  readonly dims: number;
  readonly roots: string;
  readonly feature: string;
  readonly value: string;
  readonly left: string;
}

/** A trained, immutable isolation forest. */
export class IsolationForest {
  /** c(ψ), the score's normaliser. */
  readonly normaliser: number;

  constructor(
    readonly trees: number,
    readonly sampleSize: number,
    readonly dims: number,
    private readonly roots: Int32Array,
    private readonly feature: Int8Array,
    private readonly value: Float64Array,
    private readonly left: Int32Array,
  ) {
    this.normaliser = averagePathLength(sampleSize);
  }

  /**
   * Trains a forest on `rows` rows of `dims` values each, row-major in `data`.
   * Rows must not contain NaN (impute first).
   */
  static fit(
    data: ArrayLike<number>,
    rows: number,
    dims: number,
    random: RandomSource,
    options: IsolationForestOptions = {},
  ): IsolationForest {
    return new IsolationForestBuilder(data, rows, dims, random, options).build();
  }

  /** Restores a forest from `toJSON()` output. */
  static fromJSON(data: IsolationForestData): IsolationForest {
    return new IsolationForest(
      data.trees,
      data.sampleSize,
      data.dims,
      decodeInt32(data.roots),
      decodeInt8(data.feature),
      decodeFloat64(data.value),
      decodeInt32(data.left),
    );
  }

  /** Total nodes over all trees (memory is ~13 bytes a node). */
  get nodeCount(): number {
    return this.feature.length;
  }

  /** E[h(x)]: the mean path length of `x` (read from `offset`) over the trees. */
  pathLength(x: ArrayLike<number>, offset = 0): number {
    return this.pathLengthOver(x, offset, 0, this.trees);
  }

  /**
   * Mean path length of `x` over `count` trees starting at tree `first` (wrapping
   * around): an unbiased estimate of `pathLength`, since the trees are i.i.d.
   */
  pathLengthOver(x: ArrayLike<number>, offset: number, first: number, count: number): number {
    const { roots, feature, value, left } = this;
    const trees = this.trees;
    const n = Math.min(Math.max(1, count), trees);
    let t = ((first % trees) + trees) % trees;
    let sum = 0;
    for (let k = 0; k < n; k++) {
      let i = roots[t]!;
      let f = feature[i]!;
      while (f >= 0) {
        // Arithmetic instead of a ternary: the comparison is unpredictable, a branch would mispredict.
        i = left[i]! + +((x[offset + f] as number) >= value[i]!);
        f = feature[i]!;
      }
      sum += value[i]!;
      if (++t === trees) t = 0;
    }
    return sum / n;
  }

  /** Anomaly score in (0, 1): 2^(−E[h(x)] / c(ψ)). */
  score(x: ArrayLike<number>, offset = 0): number {
    return this.scoreOf(this.pathLength(x, offset));
  }

  /** The score estimated from `count` trees starting at `first` (see `pathLengthOver`). */
  scoreOver(x: ArrayLike<number>, offset: number, first: number, count: number): number {
    return this.scoreOf(this.pathLengthOver(x, offset, first, count));
  }

  private scoreOf(pathLength: number): number {
    if (this.normaliser === 0) return 0.5;
    return 2 ** (-pathLength / this.normaliser);
  }

  /** Plain-JSON form for snapshots. */
  toJSON(): IsolationForestData {
    return {
      trees: this.trees,
      sampleSize: this.sampleSize,
      dims: this.dims,
      roots: encodeArray(this.roots),
      feature: encodeArray(this.feature),
      value: encodeArray(this.value),
      left: encodeArray(this.left),
    };
  }
}
