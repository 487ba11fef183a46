import type { Verdict } from '../../src/analysis/index.js';
import type { CallObservation } from '../../src/pipeline/index.js';

/** A finished call of `service/tool` ending at `endMs`, with overrides. */
export function observation(
  key: string,
  endMs: number,
  overrides: Partial<Omit<CallObservation, 'ref'>> = {},
): CallObservation {
  const [service, tool] = key.split('/') as [string, string];
  const durationMs = overrides.durationMs ?? 10;
  return {
    ref: { service, tool, key },
    agent: undefined,
    startTime: endMs - durationMs,
    durationMs,
    queueWaitMs: 0,
    inFlightAtStart: 0,
    inputBytes: 10,
    outputBytes: 20,
    outcome: 'success',
    errorType: undefined,
    attempts: 1,
    ...overrides,
  };
}

/** A verdict about `service/tool` at `time`. */
export function verdict(key: string, time: number, overrides: Partial<Omit<Verdict, 'ref'>> = {}): Verdict {
  const [service, tool] = key.split('/') as [string, string];
  return {
    ref: { service, tool, key },
    time,
    score: 0.1,
    forestScore: undefined,
    anomaly: false,
    severity: undefined,
    deviations: [],
    reasons: [],
    recommendations: [],
    class: overrides.anomaly ? 'fault' : undefined,
    detector: overrides.anomaly ? 'zscore' : undefined,
    warmingUp: false,
    ...overrides,
  };
}
