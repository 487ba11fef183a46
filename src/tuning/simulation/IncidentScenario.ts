import { SeededRandom } from './SeededRandom.js';
import type { SimScenario } from './SimScenario.js';

/** Offered load relative to the backend's full capacity. */
export type LoadLevel = 'overload' | 'moderate';

/** Arrival rate as a multiple of full capacity: overload is 1.3× (2.6× while halved); moderate 0.6× (1.2× while halved). */
export const LOAD_FACTOR: Readonly<Record<LoadLevel, number>> = { overload: 1.3, moderate: 0.6 };

export interface IncidentScenarioOptions {
  readonly seed: number;
  readonly load: LoadLevel;
  /**
   * What the incident does: `workers` halves the backend's workers (same service time, half
   * the throughput); `slowdown` doubles every service time (same workers, half the throughput,
   * and a new no-load latency the controller has to learn).
   * @default 'workers'
   */
  readonly incident?: 'workers' | 'slowdown';
  /** Length of each of the three phases. @default 40000 */
  readonly phaseMs?: number;
  /** Noise bursts on or off. @default true */
  readonly noise?: boolean;
}

/**
 * The benchmark's incident: full capacity, then capacity halves, then it recovers; each phase
 * `phaseMs` long. The backend itself is drawn from the seed (workers 10–32, full throughput
 * 150–400 calls/s, service-time CV 0.3–0.9) so no controller can be tuned to one tool.
 */
export function incidentScenario(options: IncidentScenarioOptions): SimScenario {
  const rnd = new SeededRandom(SeededRandom.hash(options.seed) ^ 0xbac0e7d);
  const workers = rnd.int(10, 32);
  const throughput = rnd.uniform(150, 400);
  const serviceMeanMs = (workers * 1000) / throughput;
  const serviceCv = rnd.uniform(0.3, 0.9);
  const phaseMs = options.phaseMs ?? 40_000;
  const slowdown = options.incident === 'slowdown';
  const halved = slowdown
    ? { workers, serviceScale: 2 }
    : { workers: Math.max(1, Math.round(workers / 2)), serviceScale: 1 };
  return {
    name: `${options.load}/${options.incident ?? 'workers'}/seed ${options.seed}`,
    seed: options.seed,
    durationMs: 3 * phaseMs,
    arrivalRatePerSec: LOAD_FACTOR[options.load] * throughput,
    phases: [
      { label: 'full', startMs: 0, workers, serviceScale: 1 },
      { label: 'halved', startMs: phaseMs, ...halved },
      { label: 'recovered', startMs: 2 * phaseMs, workers, serviceScale: 1 },
    ],
    serviceMeanMs,
    serviceCv,
    // Deadline and queue-wait limit scale with the tool, as an operator would set them.
    callTimeoutMs: 20 * serviceMeanMs,
    maxQueue: 4 * workers,
    maxQueueWaitMs: 8 * serviceMeanMs,
    warmupMs: 10_000,
    tickMs: 100,
    traceMs: 100,
    noise:
      options.noise === false
        ? undefined
        : {
            meanIntervalMs: 6000,
            minDurationMs: 200,
            maxDurationMs: 1000,
            minFraction: 0.05,
            maxFraction: 0.2,
            minFactor: 2,
            maxFactor: 6,
          },
  };
}
