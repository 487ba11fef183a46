import { describe, expect, it } from 'vitest';
import type { AnalyzerOptions, Verdict } from '../../src/analysis/index.js';
import type { CallObservation } from '../../src/pipeline/index.js';
import { type ClosedPhase, closedLoopCalls, type Phase, T0, upstreamCalls } from '../load/upstream.js';
import { judgeStream } from './judgeStream.js';

/**
 * Verdict classes on the calls of a simulated upstream (worker pool, Poisson arrivals), in
 * deterministic time: a fault is the tool changing; load — saturation or more demand — is not.
 */
function judge(calls: CallObservation[], options: AnalyzerOptions = {}) {
  return judgeStream(calls, { t0: T0, ...options });
}

const WARM: Phase = { ms: 60_000, rate: 30, workers: 64, serviceMs: 40 };
const ONSET = T0 + WARM.ms;
const since = (vs: Verdict[], from = ONSET) => vs.filter((v) => v.time >= from);
const firstAnomaly = (vs: Verdict[]) => since(vs).find((v) => v.anomaly);

describe('verdict classes', () => {
  it('calls a ×6 slower dependency with room a fault, found within 5 s', () => {
    for (const seed of [1, 2, 3]) {
      const { verdicts } = judge(upstreamCalls([WARM, { ...WARM, ms: 10_000, serviceMs: 240 }], seed));
      const first = firstAnomaly(verdicts);
      expect(first).toMatchObject({ class: 'fault', detector: 'zscore' });
      expect(first!.time - ONSET).toBeLessThan(5000);
      expect(first!.deviations.map((d) => d.feature)).toContain('latency');
      expect(since(verdicts, ONSET + 3000).filter((v) => v.class === 'overload')).toEqual([]);
      // 40 → 240 ms is 6×, but it adds 200 ms: a warning, not critical, with no SLO configured.
      expect(first!.severity).toBe('warning');
    }
  });

  it('calls a slower dependency a fault when agents wait for each answer (in flight rises because calls are slower)', () => {
    // Four agents that each wait for their answer: at the onset more of them wait at any moment,
    // so concurrency and latency step up together in time, as saturation would look over one second.
    // The slowdown begins 1.5 s in, soon after the warm-up's 100 calls, between two maintenances.
    const warm: ClosedPhase = { ms: 1500, workers: 64, serviceMs: 2 };
    const onset = T0 + warm.ms;
    for (const seed of Array.from({ length: 20 }, (_, i) => i + 1)) {
      const calls = closedLoopCalls([warm, { ...warm, ms: 2000, serviceMs: 60 }, warm], 4, 7, seed);
      const { verdicts } = judge(calls);
      const first = since(verdicts, onset).find((v) => v.anomaly);
      expect(first, `seed ${seed}`).toMatchObject({ class: 'fault', detector: 'zscore' });
      expect(first!.time - onset).toBeLessThan(1500);
      expect(first!.deviations.map((d) => d.feature)).toContain('latency');
    }
  });

  it('does not call a saturated upstream faulty, and raises nothing while no call fails', () => {
    // 8 workers at 40 ms serve 200/s; demand grows from 100/s to 190/s: calls queue in the upstream.
    const warm: Phase = { ms: 60_000, rate: 100, workers: 8, serviceMs: 40 };
    for (const seed of [1, 2]) {
      const { verdicts } = judge(upstreamCalls([warm, { ...warm, ms: 10_000, rate: 190 }], seed));
      const late = since(verdicts, ONSET + 3000);
      expect(late.filter((v) => v.anomaly)).toEqual([]);
      expect(late.filter((v) => v.class === 'overload').length).toBeGreaterThan(late.length / 2);
    }
  });

  it('makes an overload an anomaly once callers feel it: calls refused', () => {
    const warm: Phase = { ms: 60_000, rate: 100, workers: 8, serviceMs: 40 };
    const calls = upstreamCalls([warm, { ...warm, ms: 10_000, rate: 190 }], 3).map((c, i) =>
      c.startTime >= ONSET && i % 5 === 0
        ? { ...c, durationMs: 0.2, outcome: 'error' as const, errorType: 'overloaded' as const }
        : c,
    );
    const { verdicts } = judge(calls);
    const first = firstAnomaly(verdicts);
    expect(first).toMatchObject({ class: 'overload', detector: 'load' });
    expect(first!.reasons.join(' ')).toMatch(/refused/);
  });

  it('makes toolscope’s own queueing an overload once callers give up waiting', () => {
    // The upstream serves as before; our pool is the bottleneck: each call waits 3× its service time
    // for a slot, and one in eight callers cancels before an answer.
    const calls = upstreamCalls([WARM, { ...WARM, ms: 10_000 }], 4).map((c, i) => {
      if (c.startTime < ONSET) return c;
      const waited = { ...c, queueWaitMs: 3 * c.durationMs, durationMs: 4 * c.durationMs };
      return i % 8 === 0 ? { ...waited, outcome: 'error' as const, errorType: 'cancelled' as const } : waited;
    });
    const first = firstAnomaly(judge(calls).verdicts);
    expect(first).toMatchObject({ class: 'overload', detector: 'load' });
    expect(first!.reasons.join(' ')).toMatch(/abandoned by their callers/);
    expect(first!.reasons.join(' ')).toMatch(/waiting for a pool slot/);
  });

  it('keeps a queue nobody gives up on quiet: overload, not an anomaly', () => {
    const calls = upstreamCalls([WARM, { ...WARM, ms: 10_000 }], 4).map((c) =>
      c.startTime < ONSET ? c : { ...c, queueWaitMs: 3 * c.durationMs, durationMs: 4 * c.durationMs },
    );
    const late = since(judge(calls).verdicts, ONSET + 3000);
    expect(late.filter((v) => v.anomaly)).toEqual([]);
    expect(late.filter((v) => v.class === 'overload').length).toBeGreaterThan(late.length / 2);
  });

  it('calls a demand burst the upstream absorbs demand: no anomaly', () => {
    for (const seed of [1, 2, 3]) {
      const { verdicts } = judge(upstreamCalls([WARM, { ...WARM, ms: 20_000, rate: 60 }], seed));
      expect(since(verdicts).filter((v) => v.anomaly)).toEqual([]);
      const late = since(verdicts, ONSET + 10_000);
      expect(late.filter((v) => v.class === 'demand').length).toBeGreaterThan(0.5 * late.length);
    }
  });

  it('keeps a 1.1 → 2.3 ms shift a warning, unless an SLO says users notice', () => {
    const fast: Phase = { ms: 60_000, rate: 50, workers: 64, serviceMs: 1.1, cv: 0.2 };
    const calls = upstreamCalls([fast, { ...fast, ms: 10_000, serviceMs: 2.3 }], 4);
    expect(firstAnomaly(judge(calls).verdicts)).toMatchObject({ class: 'fault', severity: 'warning' });
    const withSlo = judge(calls, { slo: { 'svc/work': { latencyP95Ms: 2 } } }).verdicts;
    expect(since(withSlo).some((v) => v.anomaly && v.severity === 'critical')).toBe(true);
  });

  it('finds an upstream leak from its process’s memory within 5 s, and not a warm-up', () => {
    const steady: Phase = { ...WARM, rssBytes: 60e6 };
    const { verdicts } = judge(upstreamCalls([steady, { ...steady, ms: 10_000, rssGrowthPerSec: 12e6 }], 5));
    const first = firstAnomaly(verdicts);
    expect(first).toMatchObject({ class: 'fault', detector: 'memory' });
    expect(first!.time - ONSET).toBeLessThan(5000);
    // A process that grows while it warms up, then levels off, is not leaking.
    const warming = upstreamCalls(
      [
        { ...WARM, ms: 8000, rssBytes: 40e6, rssGrowthPerSec: 3e6 },
        { ...WARM, ms: 60_000, rssBytes: 64e6 },
      ],
      6,
    );
    expect(judge(warming).verdicts.filter((v) => v.anomaly)).toEqual([]);
  });

  it('finds a regression of a tool called once every 10 s within 10 calls', () => {
    const learning: Phase = { ms: 40_000, rate: 4, workers: 4, serviceMs: 80 };
    const sparse: Phase = { ms: 30_000, rate: 0.1, workers: 4, serviceMs: 80 };
    for (const seed of [1, 2, 3]) {
      const calls = upstreamCalls([learning, sparse, { ...sparse, ms: 150_000, serviceMs: 240 }], seed);
      const onset = T0 + 70_000;
      const { verdicts } = judge(calls, { warmupCalls: 50 });
      const late = verdicts.filter((v) => v.time >= onset);
      const found = late.findIndex((v) => v.anomaly);
      expect(found).toBeGreaterThanOrEqual(0);
      expect(found + 1).toBeLessThanOrEqual(10);
    }
  });

  it('keeps one incident one episode', () => {
    const { verdicts } = judge(upstreamCalls([WARM, { ...WARM, ms: 20_000, serviceMs: 120, cv: 0.9 }], 8));
    let episodes = 0;
    let open = false;
    for (const v of since(verdicts)) {
      if (v.anomaly && !open) episodes++;
      open = v.anomaly;
    }
    expect(episodes).toBe(1);
  });
});
