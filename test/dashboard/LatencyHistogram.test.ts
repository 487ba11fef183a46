import { describe, expect, it } from 'vitest';
import { LatencyHistogram, percentile } from '../../src/dashboard/index.js';

describe('LatencyHistogram', () => {
  it('reads nothing when empty', () => {
    expect(new LatencyHistogram().quantiles()).toBeUndefined();
  });

  it('reads a single call exactly (min and max clamp the bin)', () => {
    const histogram = new LatencyHistogram();
    histogram.add(42.5);
    expect(histogram.quantiles()).toEqual({ p50: 42.5, p95: 42.5, p99: 42.5 });
  });

  it('stays within 5 % of the exact percentiles over five decades of latency', () => {
    const histogram = new LatencyHistogram();
    const values: number[] = [];
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 5000; i++) {
      const value = 0.05 * 10 ** (random() * 5);
      values.push(value);
      histogram.add(value);
    }
    const sorted = Float64Array.from(values).sort();
    const q = histogram.quantiles()!;
    for (const [estimate, exact] of [
      [q.p50, percentile(sorted, 0.5)],
      [q.p95, percentile(sorted, 0.95)],
      [q.p99, percentile(sorted, 0.99)],
    ] as const) {
      expect(Math.abs(estimate - exact) / exact).toBeLessThan(0.05);
    }
  });

  it('ignores values that are not durations and starts over on reset', () => {
    const histogram = new LatencyHistogram();
    histogram.add(Number.NaN);
    histogram.add(-1);
    expect(histogram.count).toBe(0);
    histogram.add(5);
    histogram.reset();
    expect(histogram.quantiles()).toBeUndefined();
  });
});
