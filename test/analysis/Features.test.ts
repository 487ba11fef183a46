import { describe, expect, it } from 'vitest';
import { CallKind, extractFeatures, F_CPU, FEATURES } from '../../src/analysis/Features.js';
import type { CallObservation } from '../../src/pipeline/CallObservation.js';

const call = (change: Partial<CallObservation>): CallObservation => ({
  ref: { service: 'svc', tool: 'work', key: 'svc/work' },
  agent: undefined,
  startTime: 1_700_000_000_000,
  durationMs: 40,
  queueWaitMs: 0,
  inputBytes: 10,
  outputBytes: 10,
  inFlightAtStart: 0,
  outcome: 'success',
  errorType: undefined,
  attempts: 1,
  ...change,
});

function cpuFeature(obs: CallObservation): number {
  const out = new Float64Array(FEATURES.length);
  extractFeatures(obs, CallKind.Success, out);
  return out[F_CPU]!;
}

describe('the CPU figure the analyzer judges', () => {
  it('uses an upstream process’s CPU only over a window its 10 ms ticks resolve', () => {
    const upstream = {
      cpuAttribution: 'upstream_process' as const,
      inFlightDuringCall: 1,
      cpuUserMicros: 10_000,
    };
    // 40 ms: the kernel counted 0 or 1 tick at random; not a figure to judge a call by.
    expect(cpuFeature(call({ ...upstream, cpuWindowMs: 40 }))).toBeNaN();
    expect(cpuFeature(call({ ...upstream, cpuWindowMs: 250, durationMs: 250 }))).not.toBeNaN();
    // Shared with a neighbour: not this call's.
    expect(
      cpuFeature(call({ ...upstream, cpuWindowMs: 250, durationMs: 250, inFlightDuringCall: 2 })),
    ).toBeNaN();
  });

  it('uses the call’s own CPU at any length', () => {
    expect(cpuFeature(call({ cpuAttribution: 'call', cpuUserMicros: 300, durationMs: 1 }))).not.toBeNaN();
  });
});
