import type { LimitController } from '../LimitController.js';
import { type Oracle, TARGETS } from './OracleSweep.js';
import { type SimResult, simulatePool } from './PoolSimulation.js';
import { fractionInBand, type SimSummary, settleTimeMs, summarize } from './SimMetrics.js';
import type { SimScenario } from './SimScenario.js';

/** How long the limit must stay in the oracle's band to count as settled. */
export const SETTLE_HOLD_MS = 10_000;

/** One controller's run on one scenario, judged against the oracle. */
export interface ControllerScore {
  readonly name: string;
  readonly overall: SimSummary;
  readonly phases: readonly SimSummary[];
  /** Goodput / oracle goodput. */
  readonly goodputRatio: number;
  /** p99 / oracle p99 (good calls, caller-visible latency). */
  readonly p99Ratio: number;
  /** Error rate minus the oracle's (absolute). */
  readonly errorExcess: number;
  /** Settling time after each capacity change (Infinity: never settled in the phase). */
  readonly settleMs: readonly number[];
  /** Time from a cold start (initial limit) to settling in the first phase's band; not scored. */
  readonly coldStartMs: number;
  /** Fraction of each phase the limit spent inside that phase's band. */
  readonly inBand: readonly number[];
  readonly pass: {
    readonly goodput: boolean;
    readonly p99: boolean;
    readonly errors: boolean;
    readonly settle: boolean;
    readonly all: boolean;
  };
  readonly result: SimResult;
}

/** Runs `controller` on `scenario` and scores it against `oracle` with the acceptance targets. */
export function scoreController(
  name: string,
  scenario: SimScenario,
  oracle: Oracle,
  controller: LimitController,
): ControllerScore {
  const result = simulatePool(scenario, controller);
  const overall = summarize(result, scenario.warmupMs, scenario.durationMs);
  const phases = oracle.phases.map((p) => summarize(result, p.fromMs, p.toMs));
  const settleMs = oracle.phases
    .slice(1)
    .map((p) => settleTimeMs(result, p.fromMs, p.toMs, p.band, SETTLE_HOLD_MS));
  const first = oracle.phases[0]!;
  const coldStartMs = settleTimeMs(result, 0, first.toMs, first.band, SETTLE_HOLD_MS);
  const inBand = oracle.phases.map((p) => fractionInBand(result, p.fromMs, p.toMs, p.band));
  const goodputRatio = overall.goodputPerSec / oracle.goodputPerSec;
  const p99Ratio = overall.p99Ms / oracle.p99Ms;
  const errorExcess = overall.errorRate - oracle.errorRate;
  const pass = {
    goodput: goodputRatio >= TARGETS.goodputRatio,
    p99: p99Ratio <= TARGETS.p99Ratio,
    errors: errorExcess <= TARGETS.errorExcess,
    settle: settleMs.every((s) => s <= TARGETS.settleMs),
  };
  return {
    name,
    overall,
    phases,
    goodputRatio,
    p99Ratio,
    errorExcess,
    settleMs,
    coldStartMs,
    inBand,
    pass: { ...pass, all: pass.goodput && pass.p99 && pass.errors && pass.settle },
    result,
  };
}
