import {
  ATTR_TS_POOL,
  ATTR_TS_TUNING_DIRECTION,
  ATTR_TS_TUNING_REASON,
} from '../telemetry/toolscopeNames.js';
import type { LoadPattern } from './LoadPatternClassifier.js';

/**
 * Why a limit moved. Low cardinality: it is a metric label (`toolscope.tuning.reason`).
 * - `latency_gradient`: the estimated upstream queue grew past the band → shrink to capacity.
 * - `capacity_drop`: the same, severe enough to act on one window (capacity fell).
 * - `probe_up`: the pool was full and latency showed no queueing → grow.
 * - `no_load_probe` / `probe_end`: the brief, shallow dip that re-measures no-load latency, and its end.
 * - `baseline_shift`: latency did not fall when load did, so it is not ours: no-load latency re-learned.
 * - `verify_step`: latency rose while the pool was full; one step up (down, at the maximum limit) tells
 *   saturation (latency follows concurrency) from a slower upstream (it does not).
 * - `timeouts` / `overload_errors`: calls timed out or the upstream said it is overloaded.
 * - `anomaly_verdict`: a critical latency anomaly from the analyzer.
 * - `host_cpu_saturation`: the host's CPU is saturated (in-process pools).
 * - `config`: the limit was set from configuration (registration, bounds changed).
 */
export type TuningReason =
  | 'latency_gradient'
  | 'capacity_drop'
  | 'probe_up'
  | 'no_load_probe'
  | 'probe_end'
  | 'baseline_shift'
  | 'verify_step'
  | 'timeouts'
  | 'overload_errors'
  | 'anomaly_verdict'
  | 'host_cpu_saturation'
  | 'config';

/** Direction of a decision (`toolscope.tuning.direction`). `hold`: a signal was considered and the limit kept. */
export type TuningDirection = 'up' | 'down' | 'hold';

/** What the controller saw when it decided. Latencies in ms; absent figures are `undefined`. */
export interface TuningEvidence {
  /** Samples in the window behind the decision. */
  readonly samples: number;
  /** Window robust latency (trimmed mean of execution times). */
  readonly latencyMs: number | undefined;
  /** Robust no-load latency estimate, same statistic. */
  readonly noLoadLatencyMs: number | undefined;
  /** Estimated calls waiting inside the upstream (Little's law: extra latency × throughput). */
  readonly queueEstimate: number | undefined;
  /** Estimated concurrency the upstream serves without queueing. */
  readonly capacityEstimate: number | undefined;
  /** Mean pool concurrency at admission. */
  readonly meanInFlight: number | undefined;
  readonly throughputPerSec: number | undefined;
  /** Timeouts + upstream overload errors in the window. */
  readonly drops: number;
  /** Load pattern of the pool's tools, when the manager knows it. */
  readonly pattern?: LoadPattern | undefined;
  /** Predicted concurrency demand (calls in flight) over the prediction horizon. */
  readonly predictedDemand?: number | undefined;
  /** Anomaly score or host CPU utilisation behind a signal-driven decision. */
  readonly signal?: number | undefined;
}

/** One recorded decision: the unit of the tuning metric, span event and status entry. */
export interface TuningDecision {
  /** Epoch ms (the manager's clock). */
  readonly time: number;
  readonly poolId: string;
  readonly previousLimit: number;
  /** The limit decided (in dry-run mode: recommended, not applied). */
  readonly newLimit: number;
  readonly direction: TuningDirection;
  readonly reason: TuningReason;
  /** False in dry-run mode. */
  readonly applied: boolean;
  readonly evidence: TuningEvidence;
  /** One line for humans, e.g. "github: 16 → 8 (capacity_drop): upstream queue ≈ 9.1 calls". */
  readonly message: string;
}

/** Subscribers to decisions (telemetry, status, alerts). Called synchronously: keep it cheap. */
export interface TuningDecisionListener {
  onTuningDecision(decision: TuningDecision): void;
}

/**
 * Metric attributes of a decision for `toolscope.tuning.decisions` (labels: pool, direction,
 * reason — all low cardinality). Build once per decision; decisions are rare.
 */
export function tuningDecisionAttributes(decision: TuningDecision): Record<string, string> {
  return {
    [ATTR_TS_POOL]: decision.poolId,
    [ATTR_TS_TUNING_DIRECTION]: decision.direction,
    [ATTR_TS_TUNING_REASON]: decision.reason,
  };
}
