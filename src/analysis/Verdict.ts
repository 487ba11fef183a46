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
