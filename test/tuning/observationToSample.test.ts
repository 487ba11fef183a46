import { describe, expect, it } from 'vitest';
import { observationToSample } from '../../src/tuning/index.js';
import { observation, ref } from './fixtures.js';

const tool = ref('svc', 't');

describe('observationToSample', () => {
  it('reads execution latency and end time from a successful call', () => {
    expect(
      observationToSample(
        observation({ ref: tool, startTime: 1000, durationMs: 70, queueWaitMs: 20, inFlightAtStart: 3 }),
      ),
    ).toEqual({ time: 1070, latencyMs: 50, queueWaitMs: 20, inFlight: 3, outcome: 'success' });
  });

  it("counts a tool's own error result as an answer", () => {
    expect(
      observationToSample(observation({ ref: tool, outcome: 'tool_error', errorType: 'tool_error' })).outcome,
    ).toBe('success');
  });

  it("tells the pool's refusals from an upstream that pushes back", () => {
    const refused = observation({
      ref: tool,
      durationMs: 300,
      queueWaitMs: 300,
      outcome: 'error',
      errorType: 'overloaded',
    });
    expect(observationToSample(refused).outcome).toBe('rejected');
    const pushedBack = observation({
      ref: tool,
      durationMs: 300,
      queueWaitMs: 10,
      outcome: 'error',
      errorType: 'overloaded',
    });
    expect(observationToSample(pushedBack).outcome).toBe('overloaded');
  });

  it('treats timeouts as congestion and other failures as no signal', () => {
    expect(
      observationToSample(observation({ ref: tool, outcome: 'error', errorType: 'timeout' })).outcome,
    ).toBe('timeout');
    expect(
      observationToSample(observation({ ref: tool, outcome: 'error', errorType: 'transport' })).outcome,
    ).toBe('error');
  });
});
