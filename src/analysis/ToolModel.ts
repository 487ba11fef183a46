import type { CallObservation, ToolRef } from '../pipeline/CallObservation.js';
import type { ResolvedAnalyzerOptions } from './AnalyzerOptions.js';
import { ErrorWindow } from './ErrorWindow.js';
import { type Explanation, explainAnomaly } from './explainAnomaly.js';
import { FeatureEvidence } from './FeatureEvidence.js';
import {
  CallKind,
  F_ERROR,
  FEATURE_COUNT,
  FEATURE_SPECS,
  FEATURES,
  type Materiality,
  materialChange,
  naturalValue,
  rawFeature,
} from './Features.js';
import type { RandomSource } from './Random.js';
import { type BaselineData, ToolBaseline } from './ToolBaseline.js';
import { ToolForest, type ToolForestData } from './ToolForest.js';
import type { FeatureDeviation, Severity, Verdict } from './Verdict.js';

/** JSON form of one tool's learned state. */
export interface ToolModelData {
  readonly ref: ToolRef;
  readonly calls: number;
  readonly baseline: BaselineData;
  readonly forest: ToolForestData | undefined;
}

const D = FEATURE_COUNT;
const EMPTY: readonly never[] = Object.freeze([]);
const PRIMARY_MASK = FEATURE_SPECS.reduce((m, s, j) => (s.primary ? m | (1 << j) : m), 0);
/** Reasons are rebuilt when the deviating set changes, else at most this often. */
const EXPLANATION_TTL_MS = 1000;
/**
 * A hot tool reuses its materiality judgement for this many calls, when they all
 * fall within {@link MATERIALITY_REUSE_MS}: the recent median moves by at most a
 * few of its 32 calls meanwhile, and re-sorting it on every call was the
 * analyzer's largest cost at thousands of calls per second. Slower tools are
 * judged on every call, exactly as before.
 */
const MATERIALITY_REUSE_CALLS = 4;
const MATERIALITY_REUSE_MS = 5;

/**
 * Everything the analyzer knows about one tool: its baseline, its forest, the
 * running evidence per feature and the current episode. `observe` is the hot path
 * (O(D) plus a forest walk); `maintain` is a generator of small steps run off it.
 *
 * Temporal evidence: each call's robust z-score is clipped (one heavy-tail call
 * moves nothing much) and folded into a fast and a slow exponentially weighted
 * average; the evidence is the average in units of its own standard deviation,
 * calibrated on the window. An episode opens when evidence passes
 * `enterThreshold` (or `corroboratedThreshold` when the forest agrees) *and* the
 * recent median differs materially from the baseline; it closes with hysteresis.
 */
export class ToolModel {
  readonly baseline: ToolBaseline;
  readonly forest: ToolForest;
  calls = 0;
  lastSeen = Number.NaN;
  inEpisode = false;
  episodeStart = Number.NaN;
  severity: Severity | undefined;
  acknowledgedAt = Number.NaN;
  /** Bumped by re-basing: training started before it is discarded. */
  generation = 0;
  lastVerdict: Verdict | undefined;

  private readonly evidence: FeatureEvidence;
  private readonly strength = new Float64Array(D);
  private readonly recentNatural = new Float64Array(D);
  private readonly errors: ErrorWindow;
  private readonly materiality: Materiality[];
  private explained: Explanation | undefined;
  /**
   * Per feature: the call count and time of the last materiality judgement, and its outcome.
   * Forgotten whenever what it was judged against changes (baseline refresh, episode start or end).
   */
  private readonly materialCall = new Float64Array(D).fill(Number.NEGATIVE_INFINITY);
  private readonly materialTime = new Float64Array(D);
  private readonly materialOutcome = new Uint8Array(D);
  private explainedMask = 0;
  private explainedAt = 0;

  constructor(
    readonly ref: ToolRef,
    private readonly o: ResolvedAnalyzerOptions,
  ) {
    this.baseline = new ToolBaseline(o);
    this.forest = new ToolForest({
      trees: o.forestTrees,
      sampleSize: o.forestSampleSize,
      treesPerCall: o.forestTreesPerCall,
      fastAlpha: o.fastAlpha,
      slowAlpha: o.slowAlpha,
    });
    this.errors = new ErrorWindow(o.errorWindow);
    this.evidence = new FeatureEvidence(o.fastAlpha, o.slowAlpha, o.clipZ);
    this.materiality = FEATURE_SPECS.map((s) => ({ ...s.materiality, ...o.materiality[s.name] }));
  }

  /** Judges one call. `x` holds its transformed features; `scratch` is reusable room for `effectWindow` values. */
  observe(obs: CallObservation, kind: CallKind, x: Float64Array, scratch: Float64Array): Verdict {
    const time = obs.startTime;
    this.calls++;
    this.lastSeen = time;
    if (kind === CallKind.Ignored) return this.repeat(time);
    const b = this.baseline;
    this.errors.push(x[F_ERROR]!);
    if (!b.ready) {
      b.push(x, true);
      return this.remember(quiet(this.ref, time, 0, undefined, true));
    }
    const { o, strength } = this;
    this.evidence.update(x, b);
    const forestScore = kind === CallKind.Success ? this.forest.score(x, b.loc) : undefined;
    const forestEvidence = this.forest.evidence();

    const enter = this.inEpisode ? o.exitThreshold : o.enterThreshold;
    const corroborated = forestEvidence >= o.forestThreshold;
    const needed = corroborated ? Math.min(enter, o.corroboratedThreshold) : enter;
    let material = 0;
    let best = 0;
    for (let j = 0; j < D; j++) {
      if (j === F_ERROR) continue;
      const s = this.evidence.strength(j, b.zsd[j]!);
      strength[j] = s;
      if (FEATURE_SPECS[j]!.primary && s > best) best = s;
      if (s >= needed && this.isMaterial(j, time, scratch)) material |= 1 << j;
    }
    const errorRate = this.errors.rate;
    const errorStrength = (o.enterThreshold * this.errors.count) / this.errors.enter;
    strength[F_ERROR] = errorStrength;
    if (errorStrength > best) best = errorStrength;
    if (this.errors.holds(this.inEpisode)) {
      material |= 1 << F_ERROR;
      this.recentNatural[F_ERROR] = errorRate;
    }
    const forestStrength = (forestEvidence * o.enterThreshold) / o.forestThreshold;
    if (forestStrength > best) best = forestStrength;

    const anomaly = (material & PRIMARY_MASK) !== 0;
    b.push(x, !anomaly);
    const raw = 1 - 2 ** (-best / o.enterThreshold);
    if (!anomaly) {
      if (this.inEpisode) this.endEpisode();
      return this.remember(quiet(this.ref, time, Math.min(raw, 0.499), forestScore, false));
    }
    if (!this.inEpisode) {
      this.inEpisode = true;
      this.forgetMateriality();
      this.episodeStart = time;
      this.severity = undefined;
    }
    const severity = this.severityOf(material, errorRate);
    if (this.severity !== 'critical') this.severity = severity;
    const { reasons, recommendations } = this.explain(material, time, corroborated);
    return this.remember({
      ref: this.ref,
      time,
      score: Math.max(raw, 0.5),
      forestScore,
      anomaly: true,
      severity: this.severity,
      deviations: this.deviations(obs, material),
      reasons,
      recommendations,
      warmingUp: false,
    });
  }

  /**
   * The tool's maintenance as small steps: recompute the baseline when due, then
   * retrain the forest when due. Every `yield` is a safe point to pause.
   */
  *maintain(
    now: number,
    scratch: Float64Array,
    rows: Float64Array,
    random: () => RandomSource,
  ): Generator<void> {
    const b = this.baseline;
    const o = this.o;
    if (b.due(now, o.baselineRefreshMs)) {
      b.refresh(now, scratch, o.clipZ);
      this.forgetMateriality();
      this.updateErrorThresholds();
      yield;
    }
    if (!this.forestDue(now)) return;
    const generation = this.generation;
    const n = b.copyWindow(rows);
    // The builder copies the rows, so the shared buffer is free again after this.
    yield* this.forest.train(rows, n, random(), now, () => generation === this.generation);
  }

  /** True when the forest should be (re)trained now. */
  forestDue(now: number): boolean {
    const o = this.o;
    if (!o.forestEnabled || !this.baseline.ready || this.inEpisode) return false;
    if (this.baseline.size < o.forestMinSamples) return false;
    const f = this.forest;
    return f.forest === undefined || f.stale || !(now - f.trainedAt < o.forestRetrainMs);
  }

  /** Accepts the recent behaviour as the new normal and closes any episode. */
  acknowledge(now: number, scratch: Float64Array): void {
    this.generation++;
    this.forgetMateriality();
    this.baseline.rebase(now, scratch, this.o.clipZ);
    this.updateErrorThresholds();
    this.evidence.reset();
    this.errors.clear();
    this.forest.stale = this.forest.forest !== undefined;
    this.forest.resetEvidence();
    this.acknowledgedAt = now;
    if (this.inEpisode) this.endEpisode();
  }

  toJSON(): ToolModelData {
    return {
      ref: this.ref,
      calls: this.calls,
      baseline: this.baseline.toJSON(),
      forest: this.forest.toJSON(),
    };
  }

  load(data: ToolModelData): void {
    this.calls = data.calls;
    this.baseline.load(data.baseline);
    this.forgetMateriality();
    this.updateErrorThresholds();
    if (data.forest !== undefined) this.forest.load(data.forest);
  }

  /** Compares the median of the latest calls with the baseline, in natural units (memoised for hot tools). */
  private isMaterial(j: number, time: number, scratch: Float64Array): boolean {
    if (
      this.calls - this.materialCall[j]! < MATERIALITY_REUSE_CALLS &&
      time - this.materialTime[j]! < MATERIALITY_REUSE_MS
    )
      return this.materialOutcome[j] === 1;
    const outcome = this.judgeMaterial(j, scratch);
    this.materialCall[j] = this.calls;
    this.materialTime[j] = time;
    this.materialOutcome[j] = outcome ? 1 : 0;
    return outcome;
  }

  /** The baseline or the episode changed: materiality is judged afresh. */
  private forgetMateriality(): void {
    this.materialCall.fill(Number.NEGATIVE_INFINITY);
  }

  private judgeMaterial(j: number, scratch: Float64Array): boolean {
    const t = this.baseline.recentMedian(j, this.o.effectWindow, scratch);
    if (Number.isNaN(t)) return false;
    const recent = naturalValue(j, t);
    const typical = this.baseline.typical[j]!;
    this.recentNatural[j] = recent;
    // The recent median is itself noisy: a change must also exceed three of its
    // standard errors (1.2533·σ/√m for a median), or wide tools alarm on chance.
    const noise = Math.exp((3 * 1.2533 * this.baseline.scale[j]!) / Math.sqrt(this.o.effectWindow));
    return materialChange(
      recent,
      typical,
      this.materiality[j]!,
      FEATURE_SPECS[j]!.direction,
      noise,
      this.inEpisode,
    );
  }

  private severityOf(material: number, errorRate: number): Severity {
    const critical = this.o.criticalRatio;
    if ((material & (1 << F_ERROR)) !== 0 && errorRate >= this.o.criticalErrorRate) return 'critical';
    for (let j = 0; j < D; j++) {
      if (j === F_ERROR || (material & (1 << j) & PRIMARY_MASK) === 0) continue;
      const r = this.recentNatural[j]!;
      const t = this.baseline.typical[j]!;
      if (t > 0 && r > 0 && (r >= t * critical || t >= r * critical)) return 'critical';
    }
    return 'warning';
  }

  private deviations(obs: CallObservation, material: number): FeatureDeviation[] {
    const out: FeatureDeviation[] = [];
    const b = this.baseline;
    for (let j = 0; j < D; j++) {
      if ((material & (1 << j)) === 0) continue;
      let z = this.evidence.z[j]!;
      if (j === F_ERROR) z = this.errors.z(b.errorRate);
      out.push({
        feature: FEATURES[j]!,
        z: Number.isFinite(z) ? z : 0,
        value: rawFeature(obs, j),
        typical: b.typical[j]!,
      });
    }
    const rank = (d: FeatureDeviation) => this.strength[FEATURES.indexOf(d.feature)]!;
    return out.sort((a, c) => rank(c) - rank(a));
  }

  private explain(material: number, time: number, forestAgrees: boolean): Explanation {
    if (
      this.explained === undefined ||
      material !== this.explainedMask ||
      time - this.explainedAt >= EXPLANATION_TTL_MS
    ) {
      this.explained = explainAnomaly({
        material,
        recent: this.recentNatural,
        typical: this.baseline.typical,
        forestAgrees,
      });
      this.explainedMask = material;
      this.explainedAt = time;
    }
    return this.explained;
  }

  private updateErrorThresholds(): void {
    this.errors.setBaseline(this.baseline.errorRate, this.o.errorFalseAlarm, this.o.minErrorRateIncrease);
  }

  private endEpisode(): void {
    this.inEpisode = false;
    this.forgetMateriality();
    this.episodeStart = Number.NaN;
    this.severity = undefined;
  }

  private repeat(time: number): Verdict {
    const last = this.lastVerdict;
    if (last === undefined) return quiet(this.ref, time, 0, undefined, true);
    return { ...last, time, forestScore: undefined };
  }

  private remember(v: Verdict): Verdict {
    this.lastVerdict = v;
    return v;
  }
}

/** A verdict without an anomaly: the common case, with shared empty arrays. */
function quiet(
  ref: ToolRef,
  time: number,
  score: number,
  forestScore: number | undefined,
  warmingUp: boolean,
): Verdict {
  const none = EMPTY;
  return {
    ref,
    time,
    score,
    forestScore,
    anomaly: false,
    severity: undefined,
    deviations: none,
    reasons: none,
    recommendations: none,
    warmingUp,
  };
}
