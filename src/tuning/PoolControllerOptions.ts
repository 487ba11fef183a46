/** Tunables of a {@link PoolController}. Every field is optional; the defaults are the benchmarked ones. */
export interface PoolControllerOptions {
  /** Limit before any evidence. @default 10 */
  readonly initialLimit?: number;
  /** @default 1 */
  readonly minLimit?: number;
  /** @default 1000 */
  readonly maxLimit?: number;
  /** Shortest window of samples between decisions. @default 250 */
  readonly windowMs?: number;
  /** A window closes only once it holds this many samples (so slow tools get longer windows). @default 20 */
  readonly minWindowSamples?: number;
  /** A window closes after this long even with fewer samples. @default 2000 */
  readonly maxWindowMs?: number;
  /**
   * Share of the slowest calls each window's latency summary leaves out: the mean of the rest
   * moves with queueing (every call waits) but hardly with a burst of slow outliers. @default 0.2
   */
  readonly latencyTrim?: number;
  /**
   * The limit tracks the estimated upstream capacity times (1 + headroom). The small standing
   * queue this keeps is what makes the capacity measurable. @default 0.15
   */
  readonly headroom?: number;
  /** Fraction of the distance to the target covered per window (smooths estimate noise). @default 0.5 */
  readonly gain?: number;
  /** Largest shrink per window, as a fraction. @default 0.5 */
  readonly maxDecrease?: number;
  /** A queue this large (fraction of in-flight) is acted on at once, without smoothing: capacity fell. @default 0.4 */
  readonly severeQueue?: number;
  /** First growth step while saturated without queueing; doubles per window up to maxGrowth. @default 0.1 */
  readonly initialGrowth?: number;
  /** @default 1 */
  readonly maxGrowth?: number;
  /** Timeouts and upstream overload errors above this share of a window's calls are congestion. @default 0.02 */
  readonly dropRate?: number;
  /** Multiplicative decrease on congestion errors. @default 0.8 */
  readonly dropBackoff?: number;
  /**
   * Period of no-load probes: the limit dips to the estimated capacity (removing the standing
   * queue) for a few calls, to re-measure latency without queueing. @default 30000
   */
  readonly probeIntervalMs?: number;
  /** While the no-load estimate is young (start, after a baseline shift) probes come this often… @default 2000 */
  readonly earlyProbeIntervalMs?: number;
  /** …and dip deeper, to this fraction of the estimated capacity, since the estimate may be inflated. @default 0.75 */
  readonly earlyProbeDepth?: number;
  /** Number of early probes. @default 2 */
  readonly earlyProbes?: number;
  /** Samples a probe needs. @default 24 */
  readonly probeSamples?: number;
  /** A probe gives up after this long. @default 2000 */
  readonly probeTimeoutMs?: number;
  /** Random jitter on the probe period, as a fraction. @default 0.25 */
  readonly probeJitter?: number;
  /**
   * Latency rose while the pool was full: the limit steps up by this fraction (at least 1) to see
   * whether latency follows concurrency (saturation) or not (a slower upstream). @default 0.25
   */
  readonly verifyStep?: number;
  /** Critical latency verdict: multiplicative decrease (once per cooldown). @default 0.9 */
  readonly anomalyBackoff?: number;
  /** Host CPU saturation: multiplicative decrease of in-process pools (once per cooldown). @default 0.8 */
  readonly hostBackoff?: number;
  /** Minimum time between signal-driven decreases. @default 2000 */
  readonly signalCooldownMs?: number;
  /** After a signal, growth is frozen and shrinks need no confirmation for this long. @default 2000 */
  readonly signalHoldMs?: number;
  /** Uniform [0, 1) random source (probe jitter). Inject a seeded one for reproducible runs. */
  readonly random?: () => number;
}

/** {@link PoolControllerOptions} with every default filled in. */
export type ResolvedPoolControllerOptions = Required<PoolControllerOptions>;

/** Fills in the defaults and clamps the bounds so that min ≤ initial ≤ max. */
export function resolvePoolControllerOptions(
  options: PoolControllerOptions = {},
): ResolvedPoolControllerOptions {
  const minLimit = Math.max(1, Math.floor(options.minLimit ?? 1));
  const maxLimit = Math.max(minLimit, Math.floor(options.maxLimit ?? 1000));
  const initialLimit = Math.min(maxLimit, Math.max(minLimit, options.initialLimit ?? 10));
  return {
    initialLimit,
    minLimit,
    maxLimit,
    windowMs: options.windowMs ?? 250,
    minWindowSamples: options.minWindowSamples ?? 20,
    maxWindowMs: options.maxWindowMs ?? 2000,
    latencyTrim: options.latencyTrim ?? 0.2,
    headroom: options.headroom ?? 0.2,
    gain: options.gain ?? 0.5,
    maxDecrease: options.maxDecrease ?? 0.5,
    severeQueue: options.severeQueue ?? 0.4,
    initialGrowth: options.initialGrowth ?? 0.1,
    maxGrowth: options.maxGrowth ?? 1,
    dropRate: options.dropRate ?? 0.02,
    dropBackoff: options.dropBackoff ?? 0.8,
    probeIntervalMs: options.probeIntervalMs ?? 30_000,
    earlyProbeIntervalMs: options.earlyProbeIntervalMs ?? 2000,
    earlyProbeDepth: options.earlyProbeDepth ?? 0.75,
    earlyProbes: options.earlyProbes ?? 2,
    probeSamples: options.probeSamples ?? 24,
    probeTimeoutMs: options.probeTimeoutMs ?? 2000,
    probeJitter: options.probeJitter ?? 0.25,
    verifyStep: options.verifyStep ?? 0.25,
    anomalyBackoff: options.anomalyBackoff ?? 0.9,
    hostBackoff: options.hostBackoff ?? 0.8,
    signalCooldownMs: options.signalCooldownMs ?? 2000,
    signalHoldMs: options.signalHoldMs ?? 2000,
    random: options.random ?? (() => 0.5),
  };
}
