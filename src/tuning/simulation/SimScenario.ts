/**
 * The inputs of one simulated run: a tool backend with a number of workers and a FIFO
 * queue, a Poisson stream of calls, a toolscope pool (limit, bounded queue, queue-wait
 * limit) in front of it, a per-call deadline, a capacity schedule and noise bursts.
 */

/** From `startMs` on, the backend has `workers` workers and service times scaled by `serviceScale`. */
export interface CapacityPhase {
  /** Short name used in reports, e.g. `full`, `halved`, `recovered`. */
  readonly label: string;
  readonly startMs: number;
  /** Calls the backend serves at once; more wait in its own FIFO queue. */
  readonly workers: number;
  /** Multiplier on every service time (a slowdown); 1 when the backend is healthy. */
  readonly serviceScale: number;
  /** Multiplier on the arrival rate (a demand change). @default 1 */
  readonly rateScale?: number;
}

/**
 * Noise bursts: at exponentially spaced times, for a short while, a fraction of the calls
 * that arrive take `factor`× longer (a burst of heavy requests, cold caches). Capacity over
 * the long run is unchanged: a good controller does not chase them. The slowness is a
 * property of the call, fixed at arrival, so every controller serves the same work.
 */
export interface NoiseBursts {
  readonly meanIntervalMs: number;
  readonly minDurationMs: number;
  readonly maxDurationMs: number;
  readonly minFraction: number;
  readonly maxFraction: number;
  readonly minFactor: number;
  readonly maxFactor: number;
}

/** One burst as scheduled for a run. */
export interface NoiseBurst {
  readonly startMs: number;
  readonly endMs: number;
  readonly fraction: number;
  readonly factor: number;
}

export interface SimScenario {
  /** Name used in reports. */
  readonly name: string;
  /** Seeds arrivals, service times and noise; the same seed gives every controller the same calls. */
  readonly seed: number;
  readonly durationMs: number;
  /** Poisson arrival rate of calls. */
  readonly arrivalRatePerSec: number;
  /** Capacity schedule, sorted by `startMs`, the first at 0. */
  readonly phases: readonly CapacityPhase[];
  /** Mean service time of a call on a free worker. */
  readonly serviceMeanMs: number;
  /** Coefficient of variation of service times (log-normal). */
  readonly serviceCv: number;
  /** Deadline of a call from its arrival; past it the caller gets a timeout and the slot is freed. */
  readonly callTimeoutMs: number;
  /** Bounded pool queue: arrivals beyond it are refused at once. */
  readonly maxQueue: number;
  /** Calls that waited this long for a slot are refused. */
  readonly maxQueueWaitMs: number;
  /**
   * Scoring starts here: the cold start (every controller begins at its initial limit, the
   * oracle at the optimum) is reported apart, as the time to first settle.
   */
  readonly warmupMs: number;
  /** Controller tick period (the manager's tick cadence). */
  readonly tickMs: number;
  /** Limit trace resolution. */
  readonly traceMs: number;
  readonly noise: NoiseBursts | undefined;
}
