import { averagePathLength, IsolationForest, type IsolationForestOptions } from './IsolationForest.js';
import type { RandomSource } from './Random.js';

/** Marks a leaf in the `feature` array. */
const LEAF = -1;

/**
 * Grows the trees of one forest a few at a time, so training can be spread over
 * event-loop turns. The rows are copied at construction: the caller may keep
 * writing to its own buffer.
 */
export class IsolationForestBuilder {
  readonly trees: number;
  readonly sampleSize: number;
  readonly heightLimit: number;
  /** The builder's own copy of the rows (row-major), safe to read while it grows. */
  readonly data: Float64Array;
  private readonly rows: number;
  private readonly dims: number;
  private readonly random: RandomSource;
  private readonly order: Int32Array;
  private readonly attrs: Int32Array;
  private readonly stack: Int32Array;
  private feature: Int8Array;
  private value: Float64Array;
  private left: Int32Array;
  private readonly roots: Int32Array;
  private nodes = 0;
  private built = 0;

  constructor(
    data: ArrayLike<number>,
    rows: number,
    dims: number,
    random: RandomSource,
    options: IsolationForestOptions = {},
  ) {
    if (!Number.isInteger(rows) || rows < 1)
      throw new RangeError('an isolation forest needs at least one row');
    if (!Number.isInteger(dims) || dims < 1 || dims > 127) throw new RangeError('dims must be 1..127');
    if (data.length < rows * dims) throw new RangeError('data is shorter than rows × dims');
    this.trees = Math.max(1, Math.floor(options.trees ?? 100));
    this.sampleSize = Math.max(1, Math.min(rows, Math.floor(options.sampleSize ?? 256)));
    this.heightLimit = Math.ceil(Math.log2(Math.max(2, this.sampleSize)));
    this.data =
      data instanceof Float64Array
        ? data.slice(0, rows * dims)
        : Float64Array.from({ length: rows * dims }, (_, i) => data[i] as number);
    this.rows = rows;
    this.dims = dims;
    this.random = random;
    this.order = Int32Array.from({ length: rows }, (_, i) => i);
    this.attrs = Int32Array.from({ length: dims }, (_, i) => i);
    // Depth-first growth keeps at most heightLimit + 1 pending nodes per level.
    this.stack = new Int32Array(4 * 2 * (this.heightLimit + 2));
    // Trees rarely come near their 2ψ − 1 node bound; start at ψ a tree and grow.
    const capacity = this.trees * this.sampleSize + 2;
    this.feature = new Int8Array(capacity);
    this.value = new Float64Array(capacity);
    this.left = new Int32Array(capacity);
    this.roots = new Int32Array(this.trees);
  }

  /** True when every tree is grown. */
  get done(): boolean {
    return this.built >= this.trees;
  }

  /** Grows up to `maxTrees` more trees; returns true while trees remain. */
  step(maxTrees = 1): boolean {
    const end = Math.min(this.trees, this.built + Math.max(1, maxTrees));
    while (this.built < end) {
      this.roots[this.built] = this.growTree();
      this.built++;
    }
    return !this.done;
  }

  /** Grows what remains and returns the forest. */
  build(): IsolationForest {
    while (this.step(this.trees)) {}
    const n = this.nodes;
    return new IsolationForest(
      this.trees,
      this.sampleSize,
      this.dims,
      this.roots.slice(),
      this.feature.slice(0, n),
      this.value.slice(0, n),
      this.left.slice(0, n),
    );
  }

  private growTree(): number {
    // Room for a whole tree up front, so the arrays cannot move while it grows.
    this.reserve(this.nodes + 2 * this.sampleSize);
    const { order, data, dims, random, stack, feature, value, left } = this;
    const psi = this.sampleSize;
    // Partial Fisher–Yates: order[0..psi) becomes a uniform subsample without replacement.
    for (let i = 0; i < psi; i++) {
      const j = i + Math.floor(random() * (this.rows - i));
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    const root = this.nodes++;
    let top = 0;
    stack[top++] = root;
    stack[top++] = 0;
    stack[top++] = psi;
    stack[top++] = 0;
    while (top > 0) {
      const depth = stack[--top]!;
      const end = stack[--top]!;
      const start = stack[--top]!;
      const node = stack[--top]!;
      const size = end - start;
      const split = depth < this.heightLimit && size > 1 ? this.chooseSplit(node, start, end) : -1;
      if (split < 0) {
        feature[node] = LEAF;
        value[node] = depth + averagePathLength(size);
        continue;
      }
      const p = value[node]!;
      let mid = start;
      for (let i = start; i < end; i++) {
        const row = order[i]!;
        if (data[row * dims + split]! < p) {
          order[i] = order[mid]!;
          order[mid++] = row;
        }
      }
      const l = this.nodes;
      this.nodes += 2;
      feature[node] = split;
      left[node] = l;
      stack[top++] = l + 1;
      stack[top++] = mid;
      stack[top++] = end;
      stack[top++] = depth + 1;
      stack[top++] = l;
      stack[top++] = start;
      stack[top++] = mid;
      stack[top++] = depth + 1;
    }
    return root;
  }

  private reserve(needed: number): void {
    if (needed <= this.feature.length) return;
    const size = Math.max(needed, Math.ceil(this.feature.length * 1.5));
    const feature = new Int8Array(size);
    feature.set(this.feature);
    const value = new Float64Array(size);
    value.set(this.value);
    const left = new Int32Array(size);
    left.set(this.left);
    this.feature = feature;
    this.value = value;
    this.left = left;
  }

  /**
   * Picks a uniformly random attribute among those not constant in the node and a
   * uniform split value in [min, max); writes the value into the node's slot and
   * returns the attribute, or −1 when every attribute is constant (a leaf).
   */
  private chooseSplit(node: number, start: number, end: number): number {
    const { order, data, dims, attrs, random } = this;
    for (let k = 0; k < dims; k++) {
      const j = k + Math.floor(random() * (dims - k));
      const q = attrs[j]!;
      attrs[j] = attrs[k]!;
      attrs[k] = q;
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (let i = start; i < end; i++) {
        const v = data[order[i]! * dims + q]!;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (max > min) {
        this.value[node] = min + random() * (max - min);
        return q;
      }
    }
    return -1;
  }
}
