import { IMPACT_SHARE, LatencyCurve, LoadModel, type LoadState, LowLoadLatency } from '../load/index.js';
import type { CallObservation, ToolRef } from '../pipeline/CallObservation.js';
import type { ResolvedAnalyzerOptions } from './AnalyzerOptions.js';
import { ErrorWindow } from './ErrorWindow.js';
import { type Explanation, explainAnomaly } from './explainAnomaly.js';
import { FeatureEvidence } from './FeatureEvidence.js';
import {
  CallKind,
  F_ERROR,
  F_IN_FLIGHT,
  F_LATENCY,
  FEATURE_COUNT,
  FEATURE_SPECS,
  FEATURES,
  type Materiality,
  materialChange,
  naturalValue,
  rawFeature,
} from './Features.js';
import { MemoryTrend } from './MemoryTrend.js';
import type { RandomSource } from './Random.js';
import { RecentLatency } from './RecentLatency.js';
import { type BaselineData, ToolBaseline } from './ToolBaseline.js';
import { ToolForest, type ToolForestData } from './ToolForest.js';
import type { Detector, FeatureDeviation, Severity, Verdict, VerdictClass } from './Verdict.js';

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
 * The recent level of a feature is the median of the calls of the last this-many ms (at least 8,
 * at most `effectWindow`): a tool called once every 10 s is judged on its last few calls, not on
 * five minutes of them.
 */
const EFFECT_HORIZON_MS = 30_000;
const MIN_EFFECT_CALLS = 8;
/**
 * Low-load calls this many times slower than usual rule saturation out. Well above the latency's
 * materiality (1.25): on a processor-shared upstream a call admitted alone can be joined mid-way.
 */
const LOW_LOAD_MIN_RATIO = 1.5;

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
  /** The current episode's kind and the detector that opened it. */
  episodeClass: VerdictClass | undefined;
  episodeDetector: Detector | undefined;
  /** What load does to the tool (saturation, demand, our own queueing). */
  readonly loadModel = new LoadModel();
  /** The usual latency at each concurrency: a busy moment is judged against busy moments. */
  readonly curve = new LatencyCurve();
  /** Whether the calls that ran with little company got slower too: then load does not explain it. */
  readonly lowLoad = new LowLoadLatency();
  /** The upstream process's resident memory (leaks of tools in another process). */
  readonly memory = new MemoryTrend();
  /** Caller-seen latencies of the latest calls, for the SLO. */
  readonly recentLatency = new RecentLatency(64);
  /** Time of the last call that was anomalous: an episode ends only after a quiet spell. */
  private lastAnomalousAt = Number.NaN;
  /** Consecutive calls the forest alone found unusual. */
  private forestStreak = 0;
  /** Start times of the latest calls (ring), to size the recent window by time. */
  private readonly callTimes = new Float64Array(32).fill(Number.NEGATIVE_INFINITY);
  private callTimesHead = 0;

  private readonly evidence: FeatureEvidence;
  private readonly strength = new Float64Array(D);
  private readonly recentNatural = new Float64Array(D);
  private readonly errors: ErrorWindow;
  private readonly materiality: Materiality[];
  private readonly lowLoadMinLog: number;
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
    this.lowLoadMinLog = Math.log(Math.max(LOW_LOAD_MIN_RATIO, this.materiality[F_LATENCY]!.ratio));
  }

  /**
   * Judges one call. `x` holds its transformed features; `scratch` is reusable room for `effectWindow`
   * values. Returns `undefined` for a call that never reached the tool (refused, cancelled, bad
   * arguments): it is no evidence about the tool, only about load, which it still feeds.
   */
  observe(obs: CallObservation, kind: CallKind, x: Float64Array, scratch: Float64Array): Verdict | undefined {
    const time = obs.startTime;
    this.loadModel.observe(obs);
    if (kind === CallKind.Ignored) return undefined;
    this.calls++;
    this.lastSeen = time;
    this.callTimes[this.callTimesHead] = time;
    this.callTimesHead = (this.callTimesHead + 1) % this.callTimes.length;
    this.recentLatency.add(obs.durationMs, kind !== CallKind.Success);
    if (obs.upstreamRssBytes !== undefined) this.memory.add(time + obs.durationMs, obs.upstreamRssBytes);
    const b = this.baseline;
    this.errors.push(x[F_ERROR]!);
    if (!b.ready) {
      if (kind === CallKind.Success) this.curve.learn(obs.inFlightAtStart + 1, x[F_LATENCY]!);
      b.push(x, true);
      return this.remember(quiet(this.ref, time, 0, undefined, true, undefined));
    }
    const { o, strength } = this;
    // Latency is judged at the call's own concurrency: what load usually costs is taken off.
    const concurrency = obs.inFlightAtStart + 1;
    const rawLatency = x[F_LATENCY]!;
    x[F_LATENCY] = rawLatency - this.curve.offset(concurrency);
    this.lowLoad.add(time, obs.inFlightAtStart, b.typical[F_IN_FLIGHT]!, x[F_LATENCY]! - b.loc[F_LATENCY]!);
    this.evidence.update(x, b);
    const forestScore = kind === CallKind.Success ? this.forest.score(x, b.loc) : undefined;
    const forestEvidence = this.forest.evidence();

    const enter = this.inEpisode ? o.exitThreshold : o.enterThreshold;
    const corroborated = forestEvidence >= o.forestThreshold;
    const needed = corroborated ? Math.min(enter, o.corroboratedThreshold) : enter;
    const effect = this.effectCalls(time);
    let material = 0;
    let best = 0;
    for (let j = 0; j < D; j++) {
      if (j === F_ERROR) continue;
      const s = this.evidence.strength(j, b.zsd[j]!);
      strength[j] = s;
      if (FEATURE_SPECS[j]!.primary && s > best) best = s;
      if (s >= needed && this.isMaterial(j, time, effect, scratch)) material |= 1 << j;
    }
    const errorRate = this.errors.rate;
    const errorStrength = (o.enterThreshold * this.errors.count) / this.errors.enter;
    strength[F_ERROR] = errorStrength;
    if (errorStrength > best) best = errorStrength;
    if (this.errors.holds(this.inEpisode)) {
      material |= 1 << F_ERROR;
      this.recentNatural[F_ERROR] = errorRate;
    }
    // The strongest single figure, before the forest's say: the forest speaks alone only when every
    // figure stays in range.
    const bestFigure = best;
    const forestStrength = (forestEvidence * o.enterThreshold) / o.forestThreshold;
    if (forestStrength > best) best = forestStrength;

    const load = this.loadModel.state(time);
    // Latency that grows with concurrency, or that a surge of demand brings before the response can
    // show it, is load's symptom, not the tool's fault — unless the calls that ran with little
    // company are slow too: then the company is the effect (Little's law), not the cause.
    let fault = material & PRIMARY_MASK;
    const loadExplainsLatency =
      (fault & (1 << F_LATENCY)) !== 0 &&
      (load.saturated || load.demandSurge) &&
      !this.lowLoad.slow(time, this.lowLoadMinLog, b.scale[F_LATENCY]!);
    if (loadExplainsLatency) fault &= ~(1 << F_LATENCY);
    const leaking = this.memory.state.leaking;
    // The forest alone: a relation between figures broke while each stayed in range. Load changes
    // every relation (more in flight, longer waits), so it only speaks while load is steady.
    const forestAlone =
      (material & PRIMARY_MASK) === 0 &&
      bestFigure < o.exitThreshold &&
      o.forestEnabled &&
      this.forest.sustainedEvidence() >= o.forestAlarmThreshold &&
      !load.saturated &&
      !load.demandUp &&
      !load.demandSurge;
    this.forestStreak = forestAlone ? this.forestStreak + 1 : 0;
    const forestAlarm = this.forestStreak >= o.forestAlarmCalls;
    // Saturated upstream, or demand beyond what our pool serves (refused, or queued for a slot).
    const overload = load.saturated || load.refusedShare >= IMPACT_SHARE || load.queued;
    const sloMissed = this.sloMissed();
    // Callers feel it: refused, failed as overloaded, gave up waiting, or the SLO is missed.
    const impact =
      load.refusedShare >= IMPACT_SHARE ||
      load.overloadErrorShare >= IMPACT_SHARE ||
      (overload && load.abandonedShare >= IMPACT_SHARE) ||
      sloMissed;
    let verdictClass: VerdictClass | undefined;
    let detector: Detector | undefined;
    if (fault !== 0 || leaking || forestAlarm) {
      verdictClass = 'fault';
      detector =
        (fault & ~(1 << F_ERROR)) !== 0 ? 'zscore' : fault !== 0 ? 'errors' : leaking ? 'memory' : 'forest';
    } else if (overload) {
      verdictClass = 'overload';
      if (impact) detector = 'load';
    } else if (load.demandUp || load.demandSurge) {
      verdictClass = 'demand';
    }
    let anomaly = detector !== undefined;
    // An episode ends after a quiet spell, not at the first quiet call: one incident, one alert.
    if (!anomaly && this.inEpisode && time - this.lastAnomalousAt < o.episodeQuietMs) {
      anomaly = true;
      verdictClass = this.episodeClass;
      detector = this.episodeDetector;
    } else if (anomaly) {
      this.lastAnomalousAt = time;
    }
    // A latency rise put down to load is not the tool's normal either: learning it would let a
    // slowdown that began as "saturation" become the baseline before anyone is told.
    const normal = !anomaly && !loadExplainsLatency;
    b.push(x, normal);
    if (normal && kind === CallKind.Success) this.curve.learn(concurrency, rawLatency);
    const raw = 1 - 2 ** (-best / o.enterThreshold);
    if (!anomaly) {
      if (this.inEpisode) this.endEpisode();
      return this.remember(quiet(this.ref, time, Math.min(raw, 0.499), forestScore, false, verdictClass));
    }
    if (!this.inEpisode || this.episodeClass !== verdictClass) {
      // A new episode, or a new kind of trouble (an overload turning into a fault): each its own.
      this.episodeStart = time;
      this.inEpisode = true;
      this.forgetMateriality();
      this.severity = undefined;
      this.episodeClass = verdictClass;
      this.episodeDetector = detector;
    }
    const severity =
      verdictClass === 'overload'
        ? sloMissed || load.refusedShare >= o.criticalErrorRate
          ? 'critical'
          : 'warning'
        : this.severityOf(fault, errorRate, sloMissed);
    if (this.severity !== 'critical') this.severity = severity;
    const { reasons, recommendations } = this.explain(
      verdictClass === 'fault' ? fault : material,
      time,
      corroborated,
      verdictClass!,
      this.episodeDetector!,
      load,
    );
    return this.remember({
      ref: this.ref,
      time,
      score: Math.max(raw, 0.5),
      forestScore,
      anomaly: true,
      severity: this.severity,
      class: this.episodeClass,
      detector: this.episodeDetector,
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
      this.learnBaseline(now, scratch);
      yield;
    }
    if (!this.forestDue(now)) return;
    const generation = this.generation;
    const n = b.copyWindow(rows);
    // The builder copies the rows, so the shared buffer is free again after this.
    yield* this.forest.train(rows, n, random(), now, () => generation === this.generation);
  }

  /** Learns the baseline from the calls seen so far (the warm-up just completed). Sorts: once per tool. */
  learnBaseline(now: number, scratch: Float64Array): void {
    this.baseline.refresh(now, scratch, this.o.clipZ);
    this.forgetMateriality();
    this.updateErrorThresholds();
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
    this.forestStreak = 0;
    this.curve.reset();
    this.lowLoad.reset();
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

  /** Calls whose median is the recent level: those of the last {@link EFFECT_HORIZON_MS}, within bounds. */
  private effectCalls(now: number): number {
    let n = 0;
    for (let i = 0; i < this.callTimes.length; i++) if (now - this.callTimes[i]! <= EFFECT_HORIZON_MS) n++;
    return n >= this.callTimes.length
      ? this.o.effectWindow
      : Math.min(this.o.effectWindow, Math.max(MIN_EFFECT_CALLS, n));
  }

  /** Whether the SLO configured for this tool is missed over its latest calls. */
  private sloMissed(): boolean {
    const slo = this.o.sloFor(this.ref);
    if (slo === undefined) return false;
    const r = this.recentLatency;
    if (slo.latencyP95Ms !== undefined && r.p95() > slo.latencyP95Ms) return true;
    return slo.errorRate !== undefined && r.errorRate() > slo.errorRate;
  }

  /** Compares the median of the latest calls with the baseline, in natural units (memoised for hot tools). */
  private isMaterial(j: number, time: number, effect: number, scratch: Float64Array): boolean {
    if (
      this.calls - this.materialCall[j]! < MATERIALITY_REUSE_CALLS &&
      time - this.materialTime[j]! < MATERIALITY_REUSE_MS
    )
      return this.materialOutcome[j] === 1;
    const outcome = this.judgeMaterial(j, effect, scratch);
    this.materialCall[j] = this.calls;
    this.materialTime[j] = time;
    this.materialOutcome[j] = outcome ? 1 : 0;
    return outcome;
  }

  /** The baseline or the episode changed: materiality is judged afresh. */
  private forgetMateriality(): void {
    this.materialCall.fill(Number.NEGATIVE_INFINITY);
  }

  private judgeMaterial(j: number, effect: number, scratch: Float64Array): boolean {
    const t = this.baseline.recentMedian(j, effect, scratch);
    if (Number.isNaN(t)) return false;
    const recent = naturalValue(j, t);
    const typical = this.baseline.typical[j]!;
    this.recentNatural[j] = recent;
    // The recent median is itself noisy: a change must also exceed three of its
    // standard errors (1.2533·σ/√m for a median), or wide tools alarm on chance.
    const noise = Math.exp((3 * 1.2533 * this.baseline.scale[j]!) / Math.sqrt(effect));
    return materialChange(
      recent,
      typical,
      this.materiality[j]!,
      FEATURE_SPECS[j]!.direction,
      noise,
      this.inEpisode,
    );
  }

  /**
   * A fault's severity follows what users feel: critical when a configured SLO is missed, when at
   * least `criticalErrorRate` of calls fail, or when latency grew `criticalRatio`× *and* by at least
   * `criticalLatencyMs` (a 1 ms tool taking 2 ms is not critical unless an SLO says so).
   */
  private severityOf(material: number, errorRate: number, sloMissed: boolean): Severity {
    if (sloMissed) return 'critical';
    if ((material & (1 << F_ERROR)) !== 0 && errorRate >= this.o.criticalErrorRate) return 'critical';
    if ((material & (1 << F_LATENCY)) !== 0) {
      const r = this.recentNatural[F_LATENCY]!;
      const t = this.baseline.typical[F_LATENCY]!;
      if (t > 0 && r >= t * this.o.criticalRatio && r - t >= this.o.criticalLatencyMs) return 'critical';
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

  private explain(
    material: number,
    time: number,
    forestAgrees: boolean,
    verdictClass: VerdictClass,
    detector: Detector,
    load: LoadState,
  ): Explanation {
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
        verdictClass,
        detector,
        load,
        memory: this.memory.state,
        relation: detector === 'forest' ? this.baseline.brokenRelation() : undefined,
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
    this.episodeClass = undefined;
    this.episodeDetector = undefined;
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
  verdictClass: VerdictClass | undefined,
): Verdict {
  const none = EMPTY;
  return {
    ref,
    time,
    score,
    forestScore,
    anomaly: false,
    severity: undefined,
    class: verdictClass,
    detector: undefined,
    deviations: none,
    reasons: none,
    recommendations: none,
    warmingUp,
  };
}
