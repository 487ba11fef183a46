import { createRandom } from '../../src/analysis/Random.js';
import type { CallObservation, ToolRef } from '../../src/pipeline/CallObservation.js';

/** What to change about a tool's calls (multipliers on the normal mechanism). */
export interface Effect {
  cpu?: number;
  io?: number;
  heap?: number;
  errorRate?: number;
}

/** Traffic shape: `typical` is input-driven with a mild tail; `tight` varies by a few percent. */
export type Shape = 'typical' | 'tight' | 'heavy';

const SHAPES = {
  typical: { input: 0.8, work: 0.2, io: 0.4, tailP: 0.01, tailAlpha: 1.5 },
  heavy: { input: 1.2, work: 0.3, io: 0.6, tailP: 0.05, tailAlpha: 1.1 },
  tight: { input: 0.05, work: 0.03, io: 0.05, tailP: 0, tailAlpha: 2 },
} as const;

export const T0 = 1_700_000_000_000;

export function toolRef(tool = 'search', service = 'svc'): ToolRef {
  return { service, tool, key: `${service}/${tool}` };
}

/**
 * Seeded synthetic calls of one tool at 10 calls/s (the same model as the
 * benchmark's): CPU work grows with argument size, I/O wait is lognormal.
 */
export class Traffic {
  private readonly r: () => number;
  private elapsedMs = 0;
  /** Spacing of the calls from now on (100: 10 calls/s). */
  intervalMs = 100;

  constructor(
    seed: number,
    readonly ref: ToolRef = toolRef(),
    private readonly shape: Shape = 'typical',
  ) {
    this.r = createRandom(seed);
  }

  /** Time of the next call. */
  get now(): number {
    return T0 + this.elapsedMs;
  }

  next(effect: Effect = {}, override: Partial<CallObservation> = {}): CallObservation {
    const r = this.r;
    const s = SHAPES[this.shape];
    const gauss = () => Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r());
    const logn = (sigma: number) => Math.exp(sigma * gauss());
    const input = 2000 * logn(s.input);
    const work = Math.sqrt(input / 2000) * logn(s.work);
    const cpuMs = 20 * work * (effect.cpu ?? 1);
    let ioMs = 10 * logn(s.io) * (effect.io ?? 1);
    if (r() < s.tailP) ioMs *= 3 * (1 - r()) ** (-1 / s.tailAlpha);
    const failed = r() < (effect.errorRate ?? 0.005);
    const startTime = this.now;
    this.elapsedMs += this.intervalMs;
    return {
      ref: this.ref,
      agent: undefined,
      startTime,
      durationMs: failed ? 5 : cpuMs / 0.95 + ioMs,
      queueWaitMs: 0,
      inFlightAtStart: 1 + Math.floor(r() * 3),
      inputBytes: Math.round(input),
      outputBytes: failed ? 80 : Math.round(input * 1.5 * logn(0.3)),
      outcome: failed ? 'tool_error' : 'success',
      errorType: failed ? 'tool_error' : undefined,
      attempts: 1,
      cpuUserMicros: Math.round((failed ? 0.5 : cpuMs) * 1000),
      cpuSystemMicros: 0,
      cpuAttribution: 'call',
      heapAllocatedBytes: Math.round((failed ? 4096 : 200 * 1024 * work * logn(0.3)) * (effect.heap ?? 1)),
      ...override,
    };
  }
}
