import { describe, expect, it } from 'vitest';
import { createRandom, type Verdict } from '../../src/analysis/index.js';
import type { CallObservation } from '../../src/pipeline/index.js';
import { judgeStream } from './judgeStream.js';

const T0 = 1_700_000_000_000;
const ref = { service: 'svc', tool: 'parse', key: 'svc/parse' };

/**
 * A tool whose latency follows its argument size (4 ms + 6 ms per KiB, sizes log-uniform from
 * 1 KiB to 16 KiB), in another process (no per-call CPU or heap). From `breakAt` on, latency follows
 * the size of some other call instead: every figure keeps its distribution, the relation breaks.
 */
function calls(n: number, breakAt: number, seed: number): CallObservation[] {
  const r = createRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r());
  const size = () => 1024 * 16 ** r();
  const out: CallObservation[] = [];
  for (let i = 0; i < n; i++) {
    const bytes = size();
    const drivesLatency = i >= breakAt ? size() : bytes;
    const latency = (4 + (6 * drivesLatency) / 1024) * Math.exp(0.15 * gauss());
    out.push({
      ref,
      agent: undefined,
      startTime: T0 + i * 20,
      durationMs: latency,
      queueWaitMs: 0,
      inFlightAtStart: r() < 0.8 ? 0 : 1,
      inputBytes: Math.round(bytes),
      outputBytes: 64,
      outcome: 'success',
      errorType: undefined,
      attempts: 1,
    });
  }
  return out;
}

function judge(stream: CallObservation[], forest: boolean): Verdict[] {
  return judgeStream(stream, { t0: T0, seed: 3, forest: { enabled: forest } }).verdicts;
}

describe('the isolation forest earns its place', () => {
  const BREAK = 15_000; // 5 minutes of learning at 50 calls/s
  it('finds a relation that broke while every figure stayed in range — only with the forest', () => {
    for (const seed of [1, 2, 3]) {
      const stream = calls(BREAK + 1500, BREAK, seed);
      const withForest = judge(stream, true);
      const before = withForest.filter((v) => v.time < T0 + BREAK * 20);
      expect(before.filter((v) => v.anomaly)).toEqual([]);
      const first = withForest.find((v) => v.anomaly);
      expect(first).toMatchObject({ class: 'fault', detector: 'forest' });
      // Within 5 s (250 calls at 50/s).
      expect(first!.time - (T0 + BREAK * 20)).toBeLessThan(5000);
      expect(first!.reasons.join(' ')).toMatch(/latency no longer follows argument size/);
      // The z-scores see nothing: each figure is where it always was.
      expect(judge(stream, false).filter((v) => v.anomaly)).toEqual([]);
    }
  });
});
