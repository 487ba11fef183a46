import type { CallObservation } from '../pipeline/index.js';
import type { LimitSample, SampleOutcome } from './LimitController.js';

/**
 * Reads one finished call as a limiter sample, on the observation's own clock (epoch ms:
 * the sample's time is the call's end). The pool's own refusals (`overloaded` with no
 * execution time: queue full or queue wait too long) become `rejected`, not congestion;
 * `overloaded` from a call that ran means the upstream pushed back, and counts as congestion.
 */
export function observationToSample(observation: CallObservation): LimitSample {
  const execMs = Math.max(0, observation.durationMs - observation.queueWaitMs);
  return {
    time: observation.startTime + observation.durationMs,
    latencyMs: execMs,
    queueWaitMs: observation.queueWaitMs,
    inFlight: observation.inFlightAtStart,
    outcome: outcomeOf(observation, execMs),
  };
}

function outcomeOf(observation: CallObservation, execMs: number): SampleOutcome {
  if (observation.outcome === 'success' || observation.outcome === 'tool_error') return 'success';
  switch (observation.errorType) {
    case 'timeout':
      return 'timeout';
    case 'overloaded':
      // A refusal at admission carries (almost) no time beyond its queue wait.
      return execMs < 1 ? 'rejected' : 'overloaded';
    default:
      return 'error';
  }
}
