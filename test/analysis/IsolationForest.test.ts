import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { averagePathLength, IsolationForest } from '../../src/analysis/IsolationForest.js';
import { IsolationForestBuilder } from '../../src/analysis/IsolationForestBuilder.js';
import { createRandom } from '../../src/analysis/Random.js';

/** `rows` rows of standard gaussian noise in `dims` dimensions. */
function gaussianRows(seed: number, rows: number, dims: number): Float64Array {
  const random = createRandom(seed);
  const out = new Float64Array(rows * dims);
  for (let i = 0; i < out.length; i++) {
    const u = Math.max(random(), 1e-12);
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  }
  return out;
}

/** The contract any forest in toolscope must meet: fit on rows, score rows. */
interface ForestUnderTest {
  fit(rows: number[][]): void;
  score(rows: number[][]): number[];
}

function toRows(data: Float64Array, dims: number): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < data.length; i += dims) rows.push(Array.from(data.subarray(i, i + dims)));
  return rows;
}

function ours(seed: number): ForestUnderTest {
  let forest: IsolationForest | undefined;
  const random = createRandom(seed);
  return {
    fit(rows) {
      const dims = rows[0]!.length;
      forest = IsolationForest.fit(rows.flat(), rows.length, dims, random, { trees: 100, sampleSize: 256 });
    },
    score: (rows) => rows.map((r) => forest!.score(r)),
  };
}

interface MlForest {
  train(rows: number[][]): void;
  predict(rows: number[][]): number[];
}
const require = createRequire(import.meta.url);
const ml = require('ml-isolation-forest') as {
  IsolationForest: new (o?: { nEstimators?: number }) => MlForest;
};

function mlIsolationForest(_seed: number): ForestUnderTest {
  const forest = new ml.IsolationForest({ nEstimators: 100 });
  return { fit: (rows) => forest.train(rows), score: (rows) => forest.predict(rows) };
}

type Make = (seed: number) => ForestUnderTest;

/** The same property suite for every implementation; `fails` lists the contracts it is known to break. */
function forestContract(name: string, make: Make, fails: ReadonlySet<string>) {
  const test = (title: string, body: () => void) => (fails.has(title) ? it.fails : it)(title, body);

  describe(`${name} meets the isolation-forest contract`, () => {
    test('scores every point in (0, 1)', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 2, max: 400 }), (seed, n) => {
          const rows = toRows(gaussianRows(seed, n, 3), 3);
          const forest = make(seed);
          forest.fit(rows);
          const probes = [...rows.slice(0, 20), [50, -50, 0], [0, 0, 0]];
          for (const s of forest.score(probes)) {
            expect(s).toBeGreaterThan(0);
            expect(s).toBeLessThan(1);
          }
        }),
        { numRuns: 25 },
      );
    });

    test('an isolated point scores higher than 99 % of the bulk', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 31 }), (seed) => {
          const rows = toRows(gaussianRows(seed, 1000, 2), 2);
          const forest = make(seed);
          forest.fit(rows);
          const [outlier] = forest.score([[8, 8]]);
          const bulk = forest.score(rows).sort((a, b) => a - b);
          expect(outlier).toBeGreaterThan(bulk[Math.floor(0.99 * bulk.length)]!);
          expect(outlier).toBeGreaterThan(0.65);
        }),
        { numRuns: 10 },
      );
    });

    test('two runs with the same seed and data give identical scores', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 31 }), (seed) => {
          const rows = toRows(gaussianRows(seed, 300, 3), 3);
          const a = make(seed);
          const b = make(seed);
          a.fit(rows);
          b.fit(rows);
          expect(a.score(rows.slice(0, 50))).toEqual(b.score(rows.slice(0, 50)));
        }),
        { numRuns: 10 },
      );
    });

    test('retraining replaces the forest, never stacks on it', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 30 }), (seed) => {
          const before = toRows(gaussianRows(seed, 300, 2), 2);
          // The new normal lives far from the old one: a stacked forest would still call it normal-ish.
          const after = before.map(([x, y]) => [x! + 20, y! + 20]);
          const retrained = make(seed);
          retrained.fit(before);
          retrained.fit(after);
          const fresh = make(seed + 1);
          fresh.fit(after);
          const probe = [
            [20, 20],
            [0, 0],
          ];
          const [newNormal, oldNormal] = retrained.score(probe);
          // The old centre is now an outlier; the new centre is ordinary.
          expect(oldNormal!).toBeGreaterThan(0.6);
          expect(newNormal!).toBeLessThan(0.5);
          // Same quality as a forest that never saw the old data (within tree-sampling noise).
          const [freshNew] = fresh.score(probe);
          expect(Math.abs(newNormal! - freshNew!)).toBeLessThan(0.05);
        }),
        { numRuns: 10 },
      );
    });
  });
}

forestContract('IsolationForest (src/analysis)', ours, new Set());
// Kept as a record of why toolscope ships its own forest (see src/analysis/README.md):
// Math.random cannot be seeded, and train() appends trees while predict() keeps using the first ones.
forestContract(
  'ml-isolation-forest 0.1.0',
  mlIsolationForest,
  new Set([
    'two runs with the same seed and data give identical scores',
    'retraining replaces the forest, never stacks on it',
  ]),
);

describe('IsolationForest follows Liu, Ting & Zhou', () => {
  it('normalises with c(n) = 2H(n−1) − 2(n−1)/n, c(2) = 1, c(1) = 0', () => {
    expect(averagePathLength(256)).toBeCloseTo(2 * (Math.log(255) + 0.5772156649) - (2 * 255) / 256, 12);
    expect(averagePathLength(256)).toBeCloseTo(10.2448, 3);
    expect(averagePathLength(2)).toBe(1);
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(0)).toBe(0);
  });

  it('grows each tree on a subsample of ψ rows with height limit ⌈log2 ψ⌉', () => {
    const builder = new IsolationForestBuilder(gaussianRows(1, 5000, 2), 5000, 2, createRandom(1), {
      trees: 10,
      sampleSize: 64,
    });
    expect(builder.heightLimit).toBe(6);
    const forest = builder.build();
    // A tree over 64 rows has at most 2·64 − 1 nodes; one over 5000 rows would need far more.
    expect(forest.nodeCount).toBeLessThanOrEqual(10 * (2 * 64 - 1));
    expect(forest.sampleSize).toBe(64);
    // No path can be longer than the height limit plus c(ψ) for an unsplit leaf.
    for (const p of [
      [0, 0],
      [100, 100],
      [0.1, -0.2],
    ]) {
      expect(forest.pathLength(p)).toBeLessThanOrEqual(6 + averagePathLength(64));
    }
  });

  it('scores an ordinary point of uniform data near 0.5', () => {
    const random = createRandom(7);
    const data = Float64Array.from({ length: 20_000 }, () => random());
    const forest = IsolationForest.fit(data, 10_000, 2, createRandom(8));
    expect(forest.score([0.5, 0.5])).toBeGreaterThan(0.35);
    expect(forest.score([0.5, 0.5])).toBeLessThan(0.55);
  });

  it('treats constant attributes as unsplittable and still scores in (0, 1)', () => {
    const data = new Float64Array(2 * 300);
    for (let i = 0; i < 300; i++) data[2 * i] = i % 7;
    const forest = IsolationForest.fit(data, 300, 2, createRandom(3));
    const s = forest.score([3, 0]);
    expect(s).toBeGreaterThan(0);
    expect(s).toBeLessThan(1);
    const flat = IsolationForest.fit(new Float64Array(20), 10, 2, createRandom(3));
    expect(flat.score([0, 0])).toBeCloseTo(0.5, 12);
  });

  it('grows in steps to the same forest as in one go', () => {
    const data = gaussianRows(11, 500, 3);
    const whole = IsolationForest.fit(data, 500, 3, createRandom(5), { trees: 20 });
    const builder = new IsolationForestBuilder(data, 500, 3, createRandom(5), { trees: 20 });
    let steps = 0;
    while (builder.step(3)) steps++;
    expect(steps).toBe(6);
    const stepped = builder.build();
    expect(stepped.score([0.3, 0.1, -2])).toBe(whole.score([0.3, 0.1, -2]));
  });

  it('survives a JSON round trip unchanged', () => {
    const forest = IsolationForest.fit(gaussianRows(2, 400, 3), 400, 3, createRandom(9), { trees: 30 });
    const restored = IsolationForest.fromJSON(JSON.parse(JSON.stringify(forest.toJSON())));
    for (const p of [
      [0, 0, 0],
      [3, -1, 2],
    ]) {
      expect(restored.score(p)).toBe(forest.score(p));
    }
    expect(restored.nodeCount).toBe(forest.nodeCount);
  });
});
