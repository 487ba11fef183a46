import { describe, expect, it } from 'vitest';
import {
  AimdLimit,
  EnvoyGradientLimit,
  SeededRandom,
  scheduledLimit,
  simulatePool,
  staticLimit,
  summarize,
  sweepOracle,
} from '../../src/tuning/index.js';
import { scenario } from './fixtures.js';

describe('the pool simulator', () => {
  it('serves the workers’ full throughput under overload with a static limit at the worker count', () => {
    const sc = scenario({ phases: [{ label: 'full', startMs: 0, workers: 16, serviceScale: 1 }] });
    const s = summarize(simulatePool(sc, staticLimit(16)), 5000, sc.durationMs);
    expect(s.goodputPerSec).toBeGreaterThan(0.95 * 320);
    expect(s.goodputPerSec).toBeLessThan(1.05 * 320);
    // 1.3x offered: about a quarter must be refused.
    expect(s.errorRate).toBeGreaterThan(0.15);
  });

  it('gives every controller the same calls for a seed', () => {
    const sc = scenario();
    const a = simulatePool(sc, staticLimit(8));
    const b = simulatePool(sc, staticLimit(30));
    expect(a.calls).toBe(b.calls);
    expect(Array.from(a.arrivalMs.slice(0, 100))).toEqual(Array.from(b.arrivalMs.slice(0, 100)));
  });

  it('times calls out when a limit far above capacity fills the upstream queue', () => {
    const sc = scenario();
    const s = summarize(simulatePool(sc, staticLimit(400)), 20_000, 40_000);
    expect(s.timeouts).toBeGreaterThan(0);
  });

  it('finds an oracle per phase whose band holds the worker count', () => {
    const sc = scenario({
      durationMs: 45_000,
      phases: [
        { label: 'full', startMs: 0, workers: 16, serviceScale: 1 },
        { label: 'halved', startMs: 15_000, workers: 8, serviceScale: 1 },
        { label: 'recovered', startMs: 30_000, workers: 16, serviceScale: 1 },
      ],
    });
    const oracle = sweepOracle(sc, [4, 6, 8, 10, 12, 14, 16, 18, 20, 24, 32, 48]);
    const [full, halved] = oracle.phases;
    expect(full!.band.lo).toBeLessThanOrEqual(16);
    expect(full!.band.hi).toBeGreaterThanOrEqual(16);
    expect(halved!.band.lo).toBeLessThanOrEqual(8);
    expect(halved!.band.hi).toBeGreaterThanOrEqual(8);
    expect(halved!.band.hi).toBeLessThan(48);
    // The oracle's schedule switches limits at the phase boundaries.
    const schedule = scheduledLimit(sc, [16, 8, 16]);
    expect(schedule.onTick(14_900)).toBe(16);
    expect(schedule.onTick(15_000)).toBe(8);
  });

  it('reproduces the anchors’ failure modes: AIMD fills the upstream queue, Envoy pins the limit to measure minRTT', () => {
    const sc = scenario();
    const aimd = simulatePool(sc, new AimdLimit({ timeoutMs: sc.callTimeoutMs }));
    expect(Math.max(...aimd.traceLimit)).toBeGreaterThan(3 * 16);
    const r = new SeededRandom(1);
    const envoy = simulatePool(sc, new EnvoyGradientLimit({ random: () => r.next() }));
    expect(envoy.traceLimit[0]).toBe(3);
  });
});
