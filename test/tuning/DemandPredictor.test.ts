import { describe, expect, it } from 'vitest';
import { DemandPredictor } from '../../src/tuning/index.js';

describe('DemandPredictor', () => {
  it('learns a steady rate and the concurrency it needs', () => {
    const p = new DemandPredictor();
    for (let t = 0; t < 30_000; t += 20) p.observe(t, 80); // 50 calls/s of 80 ms
    const f = p.forecast();
    expect(f.ratePerSec).toBeCloseTo(50, 0);
    expect(Math.abs(f.trendPerSec2)).toBeLessThan(0.5);
    expect(f.predictedConcurrency).toBeCloseTo(4, 0);
  });

  it('extrapolates a rising rate over its horizon', () => {
    const p = new DemandPredictor({ horizonMs: 10_000 });
    // The rate climbs by 2 calls/s every second.
    let t = 0;
    for (let s = 0; s < 60; s++) {
      const rate = 10 + 2 * s;
      for (let k = 0; k < rate; k++) p.observe(t + (k * 1000) / rate, 50);
      t += 1000;
    }
    p.tick(t);
    const f = p.forecast();
    expect(f.trendPerSec2).toBeGreaterThan(1.5);
    expect(f.predictedRatePerSec).toBeGreaterThan(f.ratePerSec + 15);
  });

  it('counts silent seconds as zero demand', () => {
    const p = new DemandPredictor();
    for (let t = 0; t < 10_000; t += 10) p.observe(t, 10);
    p.tick(40_000);
    expect(p.forecast().ratePerSec).toBeLessThan(5);
  });
});
