import type { CallObservation } from '../pipeline/CallObservation.js';
import {
  type AnalyzerOptions,
  type ResolvedAnalyzerOptions,
  resolveAnalyzerOptions,
} from './AnalyzerOptions.js';
import { callKind, extractFeatures, F_ERROR, F_LATENCY, FEATURE_COUNT, FEATURES } from './Features.js';
import { createRandom, deriveSeed } from './Random.js';
import { ToolModel, type ToolModelData } from './ToolModel.js';
import { BYTE_ORDER } from './TypedArrayCodec.js';
import type { Detector, FeatureDeviation, Severity, Verdict, VerdictClass } from './Verdict.js';

/** Everything the analyzer learned, as plain JSON (see `Analyzer.snapshot`). */
export interface AnalyzerSnapshot {
  readonly version: 1;
  readonly byteOrder: 'LE' | 'BE';
  readonly features: readonly string[];
  readonly savedAt: number;
  readonly tools: readonly ToolModelData[];
}

/** One tool as the status page shows it. */
export interface ToolAnalysisStatus {
  readonly key: string;
  readonly service: string;
  readonly tool: string;
  readonly calls: number;
  readonly warmingUp: boolean;
  readonly anomaly: boolean;
  readonly severity: Severity | undefined;
  /** The current episode's kind (fault or overload), or what the tool's load says (demand, overload without impact). */
  readonly class: VerdictClass | undefined;
  readonly detector: Detector | undefined;
  /** What load does to the tool now. */
  readonly load: ToolLoadStatus;
  /** Start (epoch ms) of the current anomalous episode. */
  readonly since: number | undefined;
  readonly acknowledgedAt: number | undefined;
  readonly lastSeen: number | undefined;
  readonly latencyP50Ms: number | undefined;
  readonly latencyP95Ms: number | undefined;
  readonly errorRate: number | undefined;
  readonly forestTrainedAt: number | undefined;
  /** Trees in the tool's forest (a retrain replaces them: never more than configured). */
  readonly forestTrees: number | undefined;
  readonly score: number;
  readonly deviations: readonly FeatureDeviation[];
  readonly reasons: readonly string[];
  readonly recommendations: readonly string[];
}

const finite = (v: number) => (Number.isFinite(v) ? v : undefined);

/** A tool's load as the status page shows it (see `load/LoadState`). */
export interface ToolLoadStatus {
  /** Calls per second now, and usually. */
  readonly arrivalRate: number;
  readonly usualRate: number;
  /** Mean concurrency at admission. */
  readonly concurrency: number;
  /** `queueing` (latency grows with concurrency: saturated), `flat` (room to spare) or `unknown`. */
  readonly response: 'queueing' | 'flat' | 'unknown';
  /** Fitted log-log slope of latency on concurrency (1: proportional), when known. */
  readonly slope: number | undefined;
  /** Shares of recent calls refused by our pool, and timed out or refused upstream. */
  readonly refusedShare: number;
  readonly overloadErrorShare: number;
  /** Share of callers' latency spent waiting for a pool slot. */
  readonly queueShare: number;
}

/**
 * The analyzer's pure core: turns each `CallObservation` into a `Verdict` against
 * the tool's own history. No timers, no I/O: time comes from the observations and
 * from `maintain(now)`, randomness from the seed.
 *
 * Wiring: call `observe` for every finished call (hot path, O(1)); run the steps
 * of `maintenance(now)` regularly off the hot path (`AnalyzerService` does both,
 * spreading the steps over event-loop turns); persist `snapshot()` and feed it
 * back through `restore()` at start.
 */
export class Analyzer {
  private readonly o: ResolvedAnalyzerOptions;
  private readonly tools = new Map<string, ToolModel>();
  private readonly trainings = new Map<string, number>();
  private readonly x = new Float64Array(FEATURE_COUNT);
  private readonly effectScratch: Float64Array;
  private readonly scratch: Float64Array;
  private readonly rows: Float64Array;
  private run = 0;

  constructor(options: AnalyzerOptions = {}) {
    this.o = resolveAnalyzerOptions(options, createRandom);
    this.effectScratch = new Float64Array(this.o.effectWindow);
    this.scratch = new Float64Array(2 * this.o.windowSize);
    this.rows = new Float64Array(this.o.windowSize * FEATURE_COUNT);
  }

  /** The options in force, defaults filled in. */
  get options(): ResolvedAnalyzerOptions {
    return this.o;
  }

  /** Number of tools tracked. */
  get size(): number {
    return this.tools.size;
  }

  /**
   * Judges one finished call. Hot path: O(features + trees · depth), no I/O, and no sorting but
   * once per tool: the call that completes its warm-up learns the baseline at once, so that judging
   * starts with the next call rather than at the next maintenance, up to a second later (an incident
   * in that second would be learned as normal). A call that never reached the tool (refused by the
   * pool, cancelled, bad arguments) gets no verdict: it only feeds the tool's load model.
   */
  observe(obs: CallObservation): Verdict | undefined {
    let model = this.tools.get(obs.ref.key);
    if (model === undefined) {
      model = new ToolModel(obs.ref, this.o);
      this.tools.set(obs.ref.key, model);
    }
    const kind = callKind(obs);
    extractFeatures(obs, kind, this.x);
    const verdict = model.observe(obs, kind, this.x, this.effectScratch);
    if (!model.baseline.ready && model.baseline.due(obs.startTime, 0))
      model.learnBaseline(obs.startTime, this.scratch);
    return verdict;
  }

  /**
   * Baseline refreshes and forest training that are due at `now`, as a generator
   * of small steps (each well under a millisecond at the defaults). Drive it to the
   * end, pausing between steps as you like; a newer run supersedes an older one.
   */
  *maintenance(now: number = this.o.clock()): Generator<void> {
    const run = ++this.run;
    for (const [key, model] of [...this.tools]) {
      if (run !== this.run) return;
      if (this.tools.get(key) !== model) continue;
      yield* model.maintain(now, this.scratch, this.rows, () => this.randomFor(key));
    }
    this.evict();
  }

  /** Runs all due maintenance now, synchronously (tests, simulations, benchmarks). */
  maintain(now: number = this.o.clock()): void {
    for (const _ of this.maintenance(now)) {
      // Each step has done its work; nothing to do between them here.
    }
  }

  /**
   * Accepts a tool's current behaviour as its new normal (a deliberate change):
   * the baseline is rebuilt from its recent calls, the episode closes and the
   * forest is retrained at the next maintenance. Returns false for an unknown tool.
   */
  acknowledge(toolKey: string, now: number = this.o.clock()): boolean {
    const model = this.tools.get(toolKey);
    if (model === undefined) return false;
    model.acknowledge(now, this.scratch);
    return true;
  }

  /** Tools currently in an anomalous episode. */
  anomalous(): string[] {
    return [...this.tools.values()].filter((m) => m.inEpisode).map((m) => m.ref.key);
  }

  /** Per-tool summary for the status API and export. */
  status(): ToolAnalysisStatus[] {
    return [...this.tools.values()].map((m) => {
      const b = m.baseline;
      const v = m.lastVerdict;
      const load = m.loadModel.state(m.lastSeen);
      return {
        key: m.ref.key,
        service: m.ref.service,
        tool: m.ref.tool,
        calls: m.calls,
        warmingUp: !b.ready,
        anomaly: m.inEpisode,
        severity: m.severity,
        class: m.inEpisode ? m.episodeClass : v?.class,
        detector: m.inEpisode ? m.episodeDetector : undefined,
        load: {
          arrivalRate: load.arrivalRate,
          usualRate: load.usualRate,
          concurrency: load.concurrency,
          response: load.response.verdict,
          slope: finite(load.response.slope),
          refusedShare: load.refusedShare,
          overloadErrorShare: load.overloadErrorShare,
          queueShare: load.queueShare,
        },
        since: finite(m.episodeStart),
        acknowledgedAt: finite(m.acknowledgedAt),
        lastSeen: finite(m.lastSeen),
        latencyP50Ms: finite(b.typical[F_LATENCY]!),
        latencyP95Ms: finite(b.high[F_LATENCY]!),
        errorRate: b.ready ? b.typical[F_ERROR] : undefined,
        forestTrainedAt: finite(m.forest.trainedAt),
        forestTrees: m.forest.forest?.trees,
        score: v?.score ?? 0,
        deviations: v?.deviations ?? [],
        reasons: v?.reasons ?? [],
        recommendations: v?.recommendations ?? [],
      };
    });
  }

  /** Everything learned, as plain JSON (typed arrays as base64). Episodes are not kept: evidence restarts. */
  snapshot(now: number = this.o.clock()): AnalyzerSnapshot {
    return {
      version: 1,
      byteOrder: BYTE_ORDER,
      features: FEATURES,
      savedAt: now,
      tools: [...this.tools.values()].map((m) => m.toJSON()),
    };
  }

  /**
   * Loads a snapshot taken by `snapshot()`. Returns false, changing nothing, when
   * it is not one this version understands (other version, byte order, features).
   */
  restore(snapshot: unknown): boolean {
    if (!isSnapshot(snapshot)) return false;
    const loaded = new Map<string, ToolModel>();
    try {
      for (const data of snapshot.tools) {
        const model = new ToolModel(data.ref, this.o);
        model.load(data);
        loaded.set(data.ref.key, model);
      }
    } catch {
      return false;
    }
    for (const [key, model] of loaded) this.tools.set(key, model);
    return true;
  }

  private randomFor(key: string) {
    const n = this.trainings.get(key) ?? 0;
    this.trainings.set(key, n + 1);
    return this.o.random(deriveSeed(this.o.seed, key, n));
  }

  private evict(): void {
    const excess = this.tools.size - this.o.maxTools;
    if (excess <= 0) return;
    const idle = [...this.tools.values()].sort((a, b) => (a.lastSeen || 0) - (b.lastSeen || 0));
    for (const m of idle.slice(0, excess)) {
      this.tools.delete(m.ref.key);
      this.trainings.delete(m.ref.key);
    }
  }
}

function isSnapshot(v: unknown): v is AnalyzerSnapshot {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Partial<AnalyzerSnapshot>;
  return (
    s.version === 1 &&
    s.byteOrder === BYTE_ORDER &&
    Array.isArray(s.features) &&
    s.features.join() === FEATURES.join() &&
    Array.isArray(s.tools) &&
    s.tools.every(
      (t) =>
        typeof t?.ref?.key === 'string' &&
        typeof t.baseline?.window === 'string' &&
        Array.isArray(t.baseline.zsd),
    )
  );
}
