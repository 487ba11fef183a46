import type { ToolRef } from '../pipeline/CallObservation.js';

/** Features the analyzer derives from a CallObservation (names are stable: they appear in spans and status). */
export type FeatureName =
  | 'latency'
  | 'cpu'
  | 'cpu_ratio'
  | 'heap'
  | 'input_bytes'
  | 'output_bytes'
  | 'error'
  | 'queue_wait'
  | 'in_flight';

/** How one feature of a call compares with the tool's baseline. */
export interface FeatureDeviation {
  readonly feature: FeatureName;
  /** Robust z-score of the transformed feature against the baseline. */
  readonly z: number;
  /** The raw value of the call (natural units: ms, µs, bytes, 0/1). */
  readonly value: number;
  /** The baseline's typical raw value (median), same units. */
  readonly typical: number;
}

export type Severity = 'warning' | 'critical';

/**
 * What kind of trouble a verdict is about; each has its own alert.
 * - `fault`: the tool itself changed — slower at the same concurrency, errors, a leak, a changed
 *   relation between its figures. Alerts; never shrinks a pool by itself.
 * - `overload`: its upstream is saturated — latency grows with concurrency, or it answers with overload
 *   errors. Tells the tuner to limit concurrency; alerts only on impact (calls refused or timing out,
 *   or a configured SLO missed).
 * - `demand`: more calls than usual, served as well as usual. Recorded, raises nothing.
 */
export type VerdictClass = 'fault' | 'overload' | 'demand';

/**
 * Which detector found it: the per-feature evidence (`zscore`), the error-rate test (`errors`), the
 * isolation forest on its own (`forest`: a relation between figures broke while each stayed in range),
 * the upstream memory trend (`memory`), or the load model (`load`).
 */
export type Detector = 'zscore' | 'errors' | 'forest' | 'memory' | 'load';

/** The analyzer's judgement of one call, in the context of the tool's recent calls. */
export interface Verdict {
  readonly ref: ToolRef;
  /** Epoch ms of the call's start. */
  readonly time: number;
  /** Combined anomaly score in [0, 1]. */
  readonly score: number;
  /** Isolation-forest score in (0, 1); `undefined` until a forest is trained. */
  readonly forestScore: number | undefined;
  /** True when the evidence over recent calls says this tool is behaving anomalously. */
  readonly anomaly: boolean;
  /** Set when `anomaly` is true. */
  readonly severity: Severity | undefined;
  /** The kind of trouble: set on anomalies, and on a saturated or busier tool that is not (yet) one. */
  readonly class: VerdictClass | undefined;
  /** The detector behind an anomaly. */
  readonly detector: Detector | undefined;
  /** Features that deviate, strongest first (empty when normal). */
  readonly deviations: readonly FeatureDeviation[];
  /** Human-readable reasons, e.g. "latency 4.1× typical with CPU flat". */
  readonly reasons: readonly string[];
  /** Actionable hints, e.g. "blocked on I/O or a dependency". */
  readonly recommendations: readonly string[];
  /** Still learning the tool: too few calls for a baseline. */
  readonly warmingUp: boolean;
}

/** Subscribers to verdicts (tuner, profiler trigger, alerts, telemetry). */
export interface VerdictObserver {
  onVerdict(verdict: Verdict): void;
}
