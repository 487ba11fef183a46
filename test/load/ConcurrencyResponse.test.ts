import { describe, expect, it } from 'vitest';
import { ConcurrencyResponse } from '../../src/load/index.js';
import { type Phase, T0, upstreamCalls } from './upstream.js';

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
