import type { CallObservation, ToolRef } from '../../src/pipeline/index.js';
import type { ResizablePool } from '../../src/resilience/index.js';
import type { LimitSample, SimScenario } from '../../src/tuning/index.js';

/** A pool that only remembers its limit (the real one is resilience's ConcurrencyPool). */
export class FakePool implements ResizablePool {
  inFlight = 0;
  queued = 0;
  readonly limits: number[] = [];
  constructor(
    readonly id: string,
    public limit = 8,
  ) {}
  setLimit(limit: number): void {
    this.limit = Math.max(1, Math.floor(limit));
    this.limits.push(this.limit);
  }
}

export function ref(service: string, tool: string): ToolRef {
  return { service, tool, key: `${service}/${tool}` };
}

/** A finished call as the pipeline would report it. */
export function observation(overrides: Partial<CallObservation> & { ref: ToolRef }): CallObservation {
  return {
    agent: undefined,
    startTime: 0,
    durationMs: 50,
    queueWaitMs: 0,
    inFlightAtStart: 0,
    inputBytes: 10,
    outputBytes: 10,
    outcome: 'success',
    errorType: undefined,
    attempts: 1,
    ...overrides,
  };
}

/** Feeds `count` samples spaced `gapMs` apart from `from`, ticking every 100 ms; returns the end time. */
export function feed(
  controller: { onSample(s: LimitSample): number; onTick(now: number): number },
  from: number,
  count: number,
  gapMs: number,
  sample: (i: number, time: number) => Omit<LimitSample, 'time'>,
): number {
  let t = from;
  let nextTick = Math.ceil(from / 100) * 100;
  for (let i = 0; i < count; i++) {
    t = from + i * gapMs;
    while (nextTick <= t) {
      controller.onTick(nextTick);
      nextTick += 100;
    }
    controller.onSample({ time: t, ...sample(i, t) });
  }
  return t;
}

/** A small, fast scenario: 16 workers at 50 ms, 20-s phases, no noise unless asked. */
export function scenario(overrides: Partial<SimScenario> = {}): SimScenario {
  const phaseMs = 20_000;
  return {
    name: 'test',
    seed: 7,
    durationMs: 3 * phaseMs,
    arrivalRatePerSec: 1.3 * 320,
    phases: [
      { label: 'full', startMs: 0, workers: 16, serviceScale: 1 },
      { label: 'halved', startMs: phaseMs, workers: 8, serviceScale: 1 },
      { label: 'recovered', startMs: 2 * phaseMs, workers: 16, serviceScale: 1 },
    ],
    serviceMeanMs: 50,
    serviceCv: 0.5,
    callTimeoutMs: 1000,
    maxQueue: 64,
    maxQueueWaitMs: 400,
    warmupMs: 5000,
    tickMs: 100,
    traceMs: 100,
    noise: undefined,
    ...overrides,
  };
}
