import { describe, expect, it } from 'vitest';
import { PoolController, SeededRandom, type SimResult, simulatePool } from '../../src/tuning/index.js';
import { runClosedLoop } from './closedLoop.js';
import { feed, scenario } from './fixtures.js';

const seeded = (seed: number) => {
  const r = new SeededRandom(seed);
  return () => r.next();
};

/** Limits traced in [fromMs, toMs). */
function limits(result: SimResult, fromMs: number, toMs: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < result.traceMs.length; i++) {
    const t = result.traceMs[i]!;
    if (t >= fromMs && t < toMs) out.push(result.traceLimit[i]!);
  }
  return out;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** First time ≥ from after which every traced limit in [from, to) stays within [lo, hi]. */
function settledAt(result: SimResult, from: number, to: number, lo: number, hi: number): number {
  let since = Number.POSITIVE_INFINITY;
  for (let i = 0; i < result.traceMs.length; i++) {
    const t = result.traceMs[i]!;
    if (t < from || t >= to) continue;
    const inside = result.traceLimit[i]! >= lo && result.traceLimit[i]! <= hi;
    if (!inside) since = Number.POSITIVE_INFINITY;
    else if (since === Number.POSITIVE_INFINITY) since = t;
  }
  return since - from;
}

describe('PoolController in simulated time', () => {
  // 16 workers, then 8 from 20 s, then 16 again from 40 s; 1.3x full capacity offered.
  const run = (overrides = {}, seed = 1) =>
    simulatePool(scenario(overrides), new PoolController({ random: seeded(seed) }));

  it('settles near the worker count under steady overload', () => {
    const result = run();
    const steady = mean(limits(result, 8000, 20_000));
    expect(steady).toBeGreaterThanOrEqual(16);
    expect(steady).toBeLessThanOrEqual(16 * 1.4);
  });

  it('shrinks within 2 s when capacity halves, and stays near the new capacity', () => {
    const result = run();
    expect(settledAt(result, 20_000, 40_000, 8, 12)).toBeLessThanOrEqual(2000);
    expect(mean(limits(result, 25_000, 40_000))).toBeLessThanOrEqual(8 * 1.4);
  });

  it('grows back within 5 s when capacity recovers', () => {
    const result = run();
    expect(settledAt(result, 40_000, 60_000, 16, 24)).toBeLessThanOrEqual(5000);
  });

  it('keeps goodput near capacity in every phase', () => {
    const result = run();
    for (const [from, to, workers] of [
      [5000, 20_000, 16],
      [22_000, 40_000, 8],
      [42_000, 60_000, 16],
    ] as const) {
      let good = 0;
      for (let i = 0; i < result.calls; i++) {
        const done = result.arrivalMs[i]! + result.latencyMs[i]!;
        if (result.fate[i] === 1 && done >= from && done < to) good++;
      }
      const capacityPerSec = (workers * 1000) / 50;
      expect(good / ((to - from) / 1000)).toBeGreaterThan(0.93 * capacityPerSec);
    }
  });

  it('does not overreact to bursts of slow calls', () => {
    const noise = {
      meanIntervalMs: 3000,
      minDurationMs: 300,
      maxDurationMs: 800,
      minFraction: 0.15,
      maxFraction: 0.2,
      minFactor: 4,
      maxFactor: 6,
    };
    const result = simulatePool(
      scenario({ phases: [{ label: 'full', startMs: 0, workers: 16, serviceScale: 1 }], noise }),
      new PoolController({ random: seeded(3) }),
    );
    const steady = limits(result, 8000, 60_000);
    // Bursts come every ~3 s; the limit never falls below the worker count by more than one call.
    expect(Math.min(...steady)).toBeGreaterThanOrEqual(15);
  });

  it('re-learns the no-load latency when the upstream slows down instead of collapsing', () => {
    // Same 16 workers, every call twice as slow in the middle phase: the knee stays at 16.
    const result = run({
      phases: [
        { label: 'full', startMs: 0, workers: 16, serviceScale: 1 },
        { label: 'slow', startMs: 20_000, workers: 16, serviceScale: 2 },
        { label: 'recovered', startMs: 40_000, workers: 16, serviceScale: 1 },
      ],
    });
    expect(mean(limits(result, 30_000, 40_000))).toBeGreaterThanOrEqual(16 * 0.9);
  });

  it('is reproducible for a seed', () => {
    const a = run({}, 5);
    const b = run({}, 5);
    expect(Array.from(a.traceLimit)).toEqual(Array.from(b.traceLimit));
  });
});

describe('PoolController in a closed loop (a fixed number of agents)', () => {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const window = (t: { ms: number[]; limit: number[] }, from: number, to: number) =>
    t.limit.filter((_, i) => t.ms[i]! >= from && t.ms[i]! < to);

  it.each([
    ['below its maximum', 12, 16],
    ['at its maximum, where only a step down can ask', 12, 12],
  ])('finds a worker-limited upstream’s capacity when the pool starts %s', (_, initialLimit, maxLimit) => {
    // 16 agents, 4 workers of 20 ms: the pool is full from the first call, so concurrency is pinned
    // and only a step of the limit shows that latency follows it.
    const trace = runClosedLoop(
      { callers: 16, workers: 4, workersAfter: 2, changeAtMs: 16_000, serviceMs: 20, durationMs: 26_000 },
      new PoolController({ initialLimit, minLimit: 1, maxLimit }, 0),
    );
    const first = median(window(trace, 8_000, 16_000));
    expect(first).toBeGreaterThanOrEqual(3);
    expect(first).toBeLessThanOrEqual(7);
    const halved = median(window(trace, 21_000, 26_000));
    expect(halved).toBeGreaterThanOrEqual(1);
    expect(halved).toBeLessThanOrEqual(4);
  });
});

describe('PoolController on hand-made samples', () => {
  // A full pool of 10 in front of an upstream serving 10 at once in 40 ms.
  const saturated = (limit: number, latency: (i: number) => number) => (i: number) => ({
    latencyMs: latency(i),
    queueWaitMs: 5,
    inFlight: limit - 1,
    outcome: 'success' as const,
  });
  const jitter = (i: number) => 40 * (0.8 + (0.4 * ((i * 7919) % 101)) / 100);

  it('treats timeouts in a full pool as congestion and backs off', () => {
    const c = new PoolController({ initialLimit: 20 });
    const end = feed(c, 0, 300, 4, saturated(20, jitter));
    const before = c.limit;
    feed(c, end + 4, 200, 4, (i) =>
      i % 10 === 0
        ? { latencyMs: 1000, queueWaitMs: 0, inFlight: c.limit - 1, outcome: 'timeout' }
        : saturated(c.limit, jitter)(i),
    );
    expect(c.limit).toBeLessThan(before);
    expect(['timeouts', 'latency_gradient', 'capacity_drop']).toContain(c.lastAdjustment?.reason);
  });

  it('does not shrink for timeouts of a slow call while the pool has room', () => {
    const c = new PoolController({ initialLimit: 20 });
    // Half the pool in use, one call in ten hangs past its deadline: concurrency is not the lever.
    feed(c, 0, 600, 4, (i) =>
      i % 10 === 0
        ? { latencyMs: 1000, queueWaitMs: 0, inFlight: 9, outcome: 'timeout' }
        : { latencyMs: jitter(i), queueWaitMs: 0, inFlight: i % 10, outcome: 'success' },
    );
    expect(c.limit).toBe(20);
  });

  it("does not count the pool's own refusals as congestion", () => {
    const c = new PoolController({ initialLimit: 10 });
    // Calls at no-load latency, plus many refusals: the pool is the bottleneck, so it may only grow.
    feed(c, 0, 2000, 2, (i) =>
      i % 2 === 0
        ? { latencyMs: 0, queueWaitMs: 0, inFlight: 9, outcome: 'rejected' }
        : saturated(c.limit, jitter)(i),
    );
    expect(c.limit).toBeGreaterThan(10);
  });

  it('does not grow an idle pool', () => {
    const c = new PoolController({ initialLimit: 10 });
    feed(c, 0, 2000, 5, (i) => ({ latencyMs: jitter(i), queueWaitMs: 0, inFlight: 2, outcome: 'success' }));
    expect(c.limit).toBe(10);
  });

  it('stays within its min and max', () => {
    const grow = new PoolController({ initialLimit: 10, maxLimit: 12 });
    feed(grow, 0, 3000, 2, (i) => saturated(grow.limit, jitter)(i));
    expect(grow.limit).toBe(12);
    const shrink = new PoolController({ initialLimit: 10, minLimit: 6 });
    feed(shrink, 0, 1000, 4, () => ({ latencyMs: 1000, queueWaitMs: 0, inFlight: 9, outcome: 'timeout' }));
    expect(shrink.limit).toBe(6);
  });

  it('backs off on a critical latency verdict only when the pool is full, once per cooldown', () => {
    const idle = new PoolController({ initialLimit: 10 });
    feed(idle, 0, 500, 5, (i) => ({ latencyMs: jitter(i), queueWaitMs: 0, inFlight: 1, outcome: 'success' }));
    idle.onSignal({ kind: 'latency_anomaly', time: 2600, critical: true, score: 0.9 });
    expect(idle.limit).toBe(10);

    const full = new PoolController({ initialLimit: 10, maxLimit: 10 });
    const end = feed(full, 0, 500, 4, saturated(10, jitter));
    full.onSignal({ kind: 'latency_anomaly', time: end + 1, critical: true, score: 0.9 });
    expect(full.limit).toBe(9);
    expect(full.lastAdjustment?.reason).toBe('anomaly_verdict');
    full.onSignal({ kind: 'latency_anomaly', time: end + 500, critical: true, score: 0.9 });
    expect(full.limit).toBe(9);
  });

  it('shrinks on host CPU saturation and does not grow while it lasts', () => {
    const c = new PoolController({ initialLimit: 10 });
    c.onSignal({ kind: 'host_cpu_saturation', time: 0, utilization: 0.97 });
    expect(c.limit).toBe(8);
    expect(c.lastAdjustment?.reason).toBe('host_cpu_saturation');
    feed(c, 1, 450, 4, saturated(8, jitter)); // 1.8 s, inside the 2-s hold
    expect(c.limit).toBeLessThanOrEqual(8);
  });
});
