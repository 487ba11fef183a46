import { describe, expect, it } from 'vitest';
import { ConcurrencyResponse } from '../../src/load/index.js';
import { closedLoopCalls, type Phase, T0, upstreamCalls } from './upstream.js';

/** The verdict of a ConcurrencyResponse fed `phases`, read at the end of the last one. */
function verdictAfter(phases: Phase[], seed = 1) {
  const response = new ConcurrencyResponse(1000, 10);
  const calls = upstreamCalls(phases, seed);
  for (const c of calls) response.add(c.startTime, c.inFlightAtStart + 1, c.durationMs);
  return response.judge(T0 + phases.reduce((a, p) => a + p.ms, 0));
}

describe('ConcurrencyResponse', () => {
  it('reads a saturated upstream: latency grows with the calls in flight', () => {
    // 8 workers at 40 ms serve 200/s; 190/s keeps calls waiting inside the upstream.
    for (const seed of [1, 2, 3]) {
      const j = verdictAfter([{ ms: 10_000, rate: 190, workers: 8, serviceMs: 40 }], seed);
      expect(j.verdict).toBe('queueing');
      expect(j.slope).toBeGreaterThan(0.4);
    }
  });

  it('reads a slower upstream with room as flat, though more calls are in flight (Little’s law)', () => {
    const verdicts = [1, 2, 3, 4, 5].map(
      (seed) =>
        verdictAfter(
          [
            { ms: 10_000, rate: 30, workers: 64, serviceMs: 40 },
            { ms: 10_000, rate: 30, workers: 64, serviceMs: 240 },
          ],
          seed,
        ).verdict,
    );
    expect(verdicts).not.toContain('queueing');
    expect(verdicts.filter((v) => v === 'flat').length).toBeGreaterThanOrEqual(4);
  });

  it('does not read the onset of a slowdown as saturation', () => {
    // Judged 1.5 s after the onset: calls in flight and latency rose together, in time.
    for (const seed of [1, 2, 3, 4, 5]) {
      const j = verdictAfter(
        [
          { ms: 10_000, rate: 60, workers: 64, serviceMs: 40 },
          { ms: 1500, rate: 60, workers: 64, serviceMs: 240 },
        ],
        seed,
      );
      expect(j.verdict).not.toBe('queueing');
    }
  });

  it('robustly, does not let the one second that straddles a slowdown carry the verdict', () => {
    // Four agents that wait for their answers, grouped as the analyzer groups them (1 s, not
    // detrended) and fed as the calls end. At the onset, 1.5 s in, concurrency and latency step up
    // together; after it, concurrency stays pinned near four and the later groups say little.
    const phases = [
      { ms: 1500, workers: 64, serviceMs: 2 },
      { ms: 4000, workers: 64, serviceMs: 60 },
    ];
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      for (const at of [T0 + 3000, T0 + 4000]) {
        const response = new ConcurrencyResponse(1000, 10, false);
        for (const c of closedLoopCalls(phases, 4, 7, seed))
          if (c.startTime + c.durationMs <= at)
            response.add(c.startTime, c.inFlightAtStart + 1, c.durationMs);
        // The pooled fit alone is fooled: the case this guards against is real.
        expect(response.judge(at).verdict).toBe('queueing');
        expect(response.judge(at, true).verdict, `seed ${seed}`).not.toBe('queueing');
      }
    }
  });

  it('robustly, still reads saturation as it builds, and once it has built', () => {
    for (const seed of [1, 2, 3]) {
      const response = new ConcurrencyResponse(1000, 10, false);
      const calls = upstreamCalls(
        [
          { ms: 10_000, rate: 100, workers: 8, serviceMs: 40 },
          { ms: 10_000, rate: 190, workers: 8, serviceMs: 40 },
        ],
        seed,
      );
      for (const c of calls) response.add(c.startTime, c.inFlightAtStart + 1, c.durationMs);
      expect(response.judge(T0 + 20_000, true).verdict).toBe('queueing');
      expect(response.judgeLatest(T0 + 20_000, 3, true).verdict).toBe('queueing');
    }
  });

  it('says unknown when concurrency does not vary', () => {
    const response = new ConcurrencyResponse();
    for (let i = 0; i < 500; i++) response.add(T0 + i * 10, 8, 40 + (i % 7));
    expect(response.judge(T0 + 5000).verdict).toBe('unknown');
  });

  it('forgets calls older than its horizon', () => {
    const response = new ConcurrencyResponse(1000, 5);
    for (const c of upstreamCalls([{ ms: 5000, rate: 190, workers: 8, serviceMs: 40 }]))
      response.add(c.startTime, c.inFlightAtStart + 1, c.durationMs);
    expect(response.judge(T0 + 5000).verdict).toBe('queueing');
    expect(response.judge(T0 + 60_000).samples).toBe(0);
  });
});
