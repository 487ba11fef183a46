import type { ToolRef } from '../pipeline/CallObservation.js';
import type { RandomSource } from './Random.js';
import type { FeatureName } from './Verdict.js';

/** Materiality override for one feature (see `Materiality`). */
export interface MaterialityOverride {
  /** Smallest relative change that counts (e.g. 1.25 = 25 % up, or 20 % down). */
  readonly ratio?: number;
  /** Smallest absolute change that counts, natural units (ms, µs, bytes, ratio, count). */
  readonly absolute?: number;
}

/**
 * A service level objective for a tool: what its users need. Missing it makes an episode critical,
 * and makes an overload (a saturated upstream) alert even when no call fails.
 */
export interface ToolSlo {
  /** 95th percentile of caller-seen latency (queue wait included) over the latest calls, ms. */
  readonly latencyP95Ms?: number;
  /** Share of the latest calls that may fail, 0…1. */
  readonly errorRate?: number;
}

/** Options of the `Analyzer`. Every field has a default tuned by `bench/analysis.bench.mjs`. */
export interface AnalyzerOptions {
  /** Wall clock, epoch ms (used for acknowledgements and snapshots). @default Date.now */
  readonly clock?: () => number;
  /** Seed of every random choice (forest subsamples and splits). @default 0x5eed */
  readonly seed?: number;
  /** Builds the random source for a derived seed (tests may inject their own). @default createRandom */
  readonly random?: (seed: number) => RandomSource;
  /** Accepted calls before a tool's first baseline; verdicts say `warmingUp` until then. @default 100 */
  readonly warmupCalls?: number;
  /** Accepted calls per tool the baseline and the forest learn from. @default 1024 */
  readonly windowSize?: number;
  /** Latest calls per tool kept for recent levels and re-basing. @default 256 */
  readonly recentSize?: number;
  /** How often a tool's baseline is recomputed, ms. @default 5000 */
  readonly baselineRefreshMs?: number;
  /** Fastest the baseline may follow a settled level, transformed units per minute (0.1 ≈ 10 %/min). @default 0.1 */
  readonly driftPerMinute?: number;
  /** Weight of the newest call in the fast evidence average. @default 0.2 */
  readonly fastAlpha?: number;
  /** Weight of the newest call in the slow evidence average (catches small sustained shifts). @default 0.03 */
  readonly slowAlpha?: number;
  /** Per-call z-scores are clipped to ±this before averaging, so one heavy-tail call cannot alarm. @default 4 */
  readonly clipZ?: number;
  /** Evidence (in standard deviations of the average) that opens an episode. @default 5 */
  readonly enterThreshold?: number;
  /** Evidence below which an episode closes. @default 2.5 */
  readonly exitThreshold?: number;
  /** Lower evidence that suffices when the isolation forest agrees. @default 3 */
  readonly corroboratedThreshold?: number;
  /** Forest evidence (standard deviations above its training mean) that counts as agreement. @default 4 */
  readonly forestThreshold?: number;
  /** Recent calls whose median measures how big a change is. @default 32 */
  readonly effectWindow?: number;
  /** Calls in the error-rate window. @default 32 */
  readonly errorWindow?: number;
  /** Chance of a false error alarm per call under the baseline error rate. @default 1e-4 */
  readonly errorFalseAlarm?: number;
  /** Smallest error-rate increase that counts (absolute). @default 0.1 */
  readonly minErrorRateIncrease?: number;
  /** A change of this factor (or an error rate of `criticalErrorRate`) makes an episode critical. @default 3 */
  readonly criticalRatio?: number;
  /** @default 0.25 */
  readonly criticalErrorRate?: number;
  /** A latency fault is critical only when it also adds at least this much, ms. @default 250 */
  readonly criticalLatencyMs?: number;
  /**
   * SLOs by tool key (`service/tool`), service, or `*` (the most specific wins). None by default:
   * severity then follows the size of the change and the failures users see.
   */
  readonly slo?: Readonly<Record<string, ToolSlo>>;
  /** An episode closes only after this long without anomalous evidence, ms. @default 2000 */
  readonly episodeQuietMs?: number;
  /** Per-feature overrides of the materiality table in `Features.ts`. */
  readonly materiality?: Partial<Record<FeatureName, MaterialityOverride>>;
  /** Isolation forest per tool. */
  readonly forest?: {
    /** @default true */
    readonly enabled?: boolean;
    /** @default 100 */
    readonly trees?: number;
    /** ψ. @default 256 */
    readonly sampleSize?: number;
    /** Trees walked per call, rotating through the forest (the per-call cost bound). @default 8 */
    readonly treesPerCall?: number;
    /** Retrain interval per tool, ms. @default 60000 */
    readonly retrainMs?: number;
    /** Accepted calls needed to train. @default 256 */
    readonly minSamples?: number;
    /**
     * Sustained forest evidence (its slow average, in standard deviations above its training mean)
     * that, on its own, makes calls anomalous — a relation between figures broke while every figure
     * stayed in range — held for `alarmCalls` calls running. @default 4.5
     */
    readonly alarmThreshold?: number;
    /** @default 16 */
    readonly alarmCalls?: number;
  };
  /** Most tools tracked; the longest idle are dropped beyond it. @default 1000 */
  readonly maxTools?: number;
}

/** `AnalyzerOptions` with every default filled in. */
export interface ResolvedAnalyzerOptions {
  readonly clock: () => number;
  readonly seed: number;
  readonly random: (seed: number) => RandomSource;
  readonly warmupCalls: number;
  readonly windowSize: number;
  readonly recentSize: number;
  readonly baselineRefreshMs: number;
  readonly driftPerMinute: number;
  readonly fastAlpha: number;
  readonly slowAlpha: number;
  readonly clipZ: number;
  readonly enterThreshold: number;
  readonly exitThreshold: number;
  readonly corroboratedThreshold: number;
  readonly forestThreshold: number;
  readonly effectWindow: number;
  readonly errorWindow: number;
  readonly errorFalseAlarm: number;
  readonly minErrorRateIncrease: number;
  readonly criticalRatio: number;
  readonly criticalErrorRate: number;
  readonly criticalLatencyMs: number;
  readonly episodeQuietMs: number;
  /** The SLO of a tool, if one is configured for it, its service or `*`. */
  readonly sloFor: (ref: ToolRef) => ToolSlo | undefined;
  readonly materiality: Partial<Record<FeatureName, MaterialityOverride>>;
  readonly forestEnabled: boolean;
  readonly forestTrees: number;
  readonly forestSampleSize: number;
  readonly forestTreesPerCall: number;
  readonly forestRetrainMs: number;
  readonly forestMinSamples: number;
  readonly forestAlarmThreshold: number;
  readonly forestAlarmCalls: number;
  readonly maxTools: number;
}

/** Fills in defaults and clamps impossible values. */
export function resolveAnalyzerOptions(
  o: AnalyzerOptions,
  createRandom: (seed: number) => RandomSource,
): ResolvedAnalyzerOptions {
  const int = (v: number | undefined, d: number, min: number) => Math.max(min, Math.floor(v ?? d));
  const windowSize = int(o.windowSize, 1024, 16);
  return {
    clock: o.clock ?? Date.now,
    seed: (o.seed ?? 0x5eed) >>> 0,
    random: o.random ?? createRandom,
    warmupCalls: Math.min(int(o.warmupCalls, 100, 8), windowSize),
    windowSize,
    recentSize: int(o.recentSize, 256, 32),
    baselineRefreshMs: Math.max(0, o.baselineRefreshMs ?? 5000),
    driftPerMinute: Math.max(0, o.driftPerMinute ?? 0.1),
    fastAlpha: Math.min(1, Math.max(1e-3, o.fastAlpha ?? 0.2)),
    slowAlpha: Math.min(1, Math.max(1e-3, o.slowAlpha ?? 0.03)),
    clipZ: Math.max(1, o.clipZ ?? 4),
    enterThreshold: o.enterThreshold ?? 5,
    exitThreshold: Math.min(o.exitThreshold ?? 2.5, o.enterThreshold ?? 5),
    corroboratedThreshold: o.corroboratedThreshold ?? 3,
    forestThreshold: o.forestThreshold ?? 4,
    effectWindow: Math.min(int(o.effectWindow, 32, 1), int(o.recentSize, 256, 32)),
    errorWindow: Math.min(int(o.errorWindow, 32, 4), 1024),
    errorFalseAlarm: Math.min(0.5, Math.max(1e-12, o.errorFalseAlarm ?? 1e-4)),
    minErrorRateIncrease: Math.max(0, o.minErrorRateIncrease ?? 0.1),
    criticalRatio: Math.max(1, o.criticalRatio ?? 3),
    criticalErrorRate: o.criticalErrorRate ?? 0.25,
    criticalLatencyMs: Math.max(0, o.criticalLatencyMs ?? 250),
    episodeQuietMs: Math.max(0, o.episodeQuietMs ?? 2000),
    sloFor: sloLookup(o.slo),
    materiality: o.materiality ?? {},
    forestEnabled: o.forest?.enabled ?? true,
    forestTrees: int(o.forest?.trees, 100, 1),
    forestSampleSize: int(o.forest?.sampleSize, 256, 2),
    forestTreesPerCall: int(o.forest?.treesPerCall, 8, 1),
    forestRetrainMs: Math.max(0, o.forest?.retrainMs ?? 60_000),
    forestMinSamples: Math.min(int(o.forest?.minSamples, 256, 16), windowSize),
    forestAlarmThreshold: o.forest?.alarmThreshold ?? 4.5,
    forestAlarmCalls: int(o.forest?.alarmCalls, 16, 1),
    maxTools: int(o.maxTools, 1000, 1),
  };
}

/** The most specific SLO for a tool: its key, then its service, then `*`. */
function sloLookup(
  slo: Readonly<Record<string, ToolSlo>> | undefined,
): (ref: ToolRef) => ToolSlo | undefined {
  if (slo === undefined || Object.keys(slo).length === 0) return () => undefined;
  return (ref) => slo[ref.key] ?? slo[ref.service] ?? slo['*'];
}
