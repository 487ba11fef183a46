import { describe, expect, it } from 'vitest';
import { callCpuMicros } from '../../src/pipeline/index.js';
import { observation, ref } from '../tuning/fixtures.js';

describe('callCpuMicros', () => {
  it('takes an in-process call’s own CPU as it is', () => {
    expect(callCpuMicros(observation({ ref: ref('s', 't'), cpuUserMicros: 900, cpuSystemMicros: 100 }))).toBe(
      1000,
    );
  });

  it('shares an upstream process’s CPU among the calls in flight, not ×16 the truth (issue 16)', () => {
    // A 20-ms busy loop called 16 at a time: the process burns ~320 ms during each call's window.
    const share = callCpuMicros(
      observation({
        ref: ref('s', 't'),
        durationMs: 320,
        inFlightAtStart: 15,
        inFlightDuringCall: 16,
        cpuUserMicros: 320_000,
        cpuAttribution: 'upstream_process',
        cpuWindowMs: 320,
      }),
    );
    expect(share).toBeCloseTo(20_000, -2);
  });

  it('has nothing to say without CPU figures', () => {
    expect(callCpuMicros(observation({ ref: ref('s', 't') }))).toBeUndefined();
  });
});
