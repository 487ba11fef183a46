import type { DemandForecast } from './DemandPredictor.js';
import type { WindowStats } from './LatencyWindow.js';
import type { LoadProfile } from './LoadPatternClassifier.js';
import type { LoadJudgement } from './PoolController.js';
import type { TuningDecision, TuningEvidence, TuningReason } from './TuningDecision.js';

/** One pool as the tuner sees it: a status entry. */
export interface PoolTuningStatus {
  readonly poolId: string;
  /** The tuner runs for this pool (config `enabled`). */
  readonly enabled: boolean;
  /** Recommends only. */
  readonly dryRun: boolean;
  readonly inProcess: boolean;
  /** The pool's limit now. */
  readonly limit: number;
  /** The controller's limit (equal to `limit` unless dry-run); undefined when disabled. */
  readonly recommendedLimit: number | undefined;
  readonly minLimit: number;
  readonly maxLimit: number;
  readonly inFlight: number;
  readonly queued: number;
  /** Robust no-load execution latency, ms. */
  readonly noLoadLatencyMs: number | undefined;
  /** The last window the controller judged. */
  readonly window: WindowStats | undefined;
  /** Load pattern of the pool's most recently seen tool. */
  readonly profile: LoadProfile | undefined;
  readonly demand: DemandForecast;
  /** Decisions recorded for this pool so far. */
  readonly decisions: number;
  readonly lastDecision: TuningDecision | undefined;
  /** The controller's last judgement of whether the upstream is saturated (why it held, or acted). */
  readonly judgement: LoadJudgement | undefined;
}

/**
 * One line for humans on why the tuner did what it did about a pool: e.g. "storage: latency 6× its
 * no-load level does not grow with concurrency (slope 0.02): the upstream got slower, not
 * saturated — limit kept".
 */
export function describeJudgement(poolId: string, judgement: LoadJudgement): string {
  const r = judgement.response;
  const slope = Number.isFinite(r.slope) ? ` (slope ${r.slope.toFixed(2)})` : '';
  const rise =
    judgement.noLoadLatencyMs !== undefined && judgement.noLoadLatencyMs > 0
      ? `latency ${round(judgement.latencyMs)} ms, ${(judgement.latencyMs / judgement.noLoadLatencyMs).toFixed(1)}× its level without load`
      : `latency ${round(judgement.latencyMs)} ms`;
  switch (judgement.kind) {
    case 'not_saturated':
      return `${poolId}: ${rise}, does not grow with concurrency${slope}: the upstream got slower or serves others, it is not saturated — limit kept, no-load level re-learned`;
    case 'verifying':
      return `${poolId}: ${rise}, with the pool full — stepping the limit ${judgement.step ?? 'up'} once to see whether latency follows concurrency`;
    case 'unverified':
      return `${poolId}: ${rise}, but nothing shows it depends on concurrency yet — limit kept`;
    case 'saturated':
      return `${poolId}: ${rise}, grows with concurrency${slope}: the upstream is saturated — limit kept near its capacity`;
  }
}

/** The tuner's status: every pool plus the recent decisions. */
export interface TuningStatus {
  readonly enabled: boolean;
  readonly dryRun: boolean;
  readonly pools: readonly PoolTuningStatus[];
  /** Most recent decisions, oldest first. */
  readonly decisions: readonly TuningDecision[];
}

const round = (x: number): string => (Math.abs(x) >= 10 ? x.toFixed(0) : x.toFixed(1));

/** One line for humans, e.g. "github: 16 → 8 (capacity_drop): upstream queue ≈ 9.1 calls, capacity ≈ 7.9". */
export function describeDecision(
  poolId: string,
  from: number,
  to: number,
  reason: TuningReason,
  evidence: TuningEvidence,
  dryRun: boolean,
): string {
  const parts: string[] = [];
  const e = evidence;
  if (e.queueEstimate !== undefined && e.capacityEstimate !== undefined) {
    parts.push(`upstream queue ≈ ${round(e.queueEstimate)} calls, capacity ≈ ${round(e.capacityEstimate)}`);
  }
  if (e.latencyMs !== undefined && e.noLoadLatencyMs !== undefined) {
    parts.push(`latency ${round(e.latencyMs)} ms vs ${round(e.noLoadLatencyMs)} ms without load`);
  }
  if (e.drops > 0) parts.push(`${e.drops} timeouts/overload errors`);
  if (e.signal !== undefined) parts.push(`signal ${e.signal.toFixed(2)}`);
  if (e.pattern !== undefined && e.pattern !== 'unknown') parts.push(e.pattern.replace('_', '-'));
  const head = `${poolId}: ${from} → ${to} (${reason})${dryRun ? ' [dry run]' : ''}`;
  return parts.length === 0 ? head : `${head}: ${parts.join('; ')}`;
}
