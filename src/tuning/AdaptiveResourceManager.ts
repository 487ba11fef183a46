import type { Verdict, VerdictObserver } from '../analysis/index.js';
import type { CallObservation, CallObserver, ToolRef } from '../pipeline/index.js';
import type { ResizablePool } from '../resilience/index.js';
import { DemandPredictor } from './DemandPredictor.js';
import { LoadPatternClassifier, type LoadProfile } from './LoadPatternClassifier.js';
import { observationToSample } from './observationToSample.js';
import { type LimitAdjustment, PoolController } from './PoolController.js';
import type { PoolControllerOptions } from './PoolControllerOptions.js';
import type { TuningDecision, TuningDecisionListener, TuningEvidence } from './TuningDecision.js';
import { describeDecision, type PoolTuningStatus, type TuningStatus } from './TuningStatus.js';
import {
  DEFAULT_TUNING_CONFIG,
  type ResolvedPoolTuning,
  resolvePoolTuning,
  type TuningConfig,
} from './tuningConfigSchema.js';

/** The host's load, as the host metrics sample it (see telemetry's `HostStatus`). */
export interface HostSignal {
  /** Busy share of all cores, 0…1. */
  readonly cpuUtilization: number;
  /**
   * Share of all cores this process uses, 0…1. Host CPU counts as a capacity limit of in-process
   * tools only when much of it is ours: shrinking our pools frees nothing that others use.
   */
  readonly processCpuUtilization?: number | undefined;
  /** p99 event-loop delay of this process, ms: a saturated loop delays in-process tools too. */
  readonly eventLoopDelayP99Ms?: number | undefined;
}

/** How a pool is registered. */
export interface RegisterPoolOptions {
  /** Its tools run in this process (instrumented server, local handlers): host CPU saturation shrinks it. */
  readonly inProcess?: boolean;
}

/** Something that lists pools (the resilience `PoolRegistry` fits): polled on each tick. */
export interface PoolSource {
  list(): readonly ResizablePool[];
}

export interface AdaptiveResourceManagerOptions {
  /** Parsed `toolscope.tuning`. @default every default */
  readonly config?: TuningConfig;
  /** Epoch-ms clock, the one `CallObservation.startTime` uses. @default Date.now */
  readonly clock?: () => number;
  /** Uniform [0, 1) source for probe jitter. @default Math.random */
  readonly random?: () => number;
  /** Controller knobs beyond the config (tests, benchmarks). */
  readonly controller?: PoolControllerOptions;
}

/** An event-loop p99 delay this long means the process is saturated. */
const EVENT_LOOP_SATURATED_MS = 100;
/** Host CPU is ours when this process uses at least this share of what is busy. */
const OWN_CPU_SHARE = 0.5;

interface Managed {
  readonly pool: ResizablePool;
  readonly settings: ResolvedPoolTuning;
  readonly inProcess: boolean;
  readonly controller: PoolController | undefined;
  readonly demand: DemandPredictor;
  seen: LimitAdjustment | undefined;
  lastTool: string | undefined;
  lastDecision: TuningDecision | undefined;
  decisions: number;
}

/**
 * The tuner: one {@link PoolController} per registered pool, fed by observations, verdicts
 * and host signals, applying limits to the pools (unless dry-run) and recording every
 * decision — old → new limit, reason, evidence — in a bounded history and to listeners
 * (telemetry turns them into the `toolscope.tuning.decisions` metric and span events; status
 * shows them). Also classifies each tool's load pattern and predicts each pool's demand.
 *
 * Per call (`onObservation`) the work is O(1) amortised; call {@link tick} every
 * `config.intervalMs` (100 ms) so windows close and probes end without traffic.
 */
export class AdaptiveResourceManager implements CallObserver, VerdictObserver {
  readonly #config: TuningConfig;
  readonly #clock: () => number;
  readonly #random: () => number;
  readonly #controllerOptions: PoolControllerOptions;
  readonly #pools = new Map<string, Managed>();
  readonly #sources: PoolSource[] = [];
  readonly #listeners = new Set<TuningDecisionListener>();
  readonly #history: TuningDecision[] = [];
  readonly #classifier = new LoadPatternClassifier();

  constructor(options: AdaptiveResourceManagerOptions = {}) {
    this.#config = options.config ?? DEFAULT_TUNING_CONFIG;
    this.#clock = options.clock ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#controllerOptions = { ...this.#config.controller, ...options.controller };
  }

  /** Starts tuning a pool (idempotent). Applies `initial` and the bounds at once unless dry-run. */
  registerPool(pool: ResizablePool, options: RegisterPoolOptions = {}): void {
    if (this.#pools.has(pool.id)) return;
    const settings = resolvePoolTuning(this.#config, pool.id);
    const now = this.#clock();
    const start = Math.min(settings.max, Math.max(settings.min, settings.initial ?? pool.limit));
    const controller = settings.enabled
      ? new PoolController(
          {
            ...this.#controllerOptions,
            initialLimit: start,
            minLimit: settings.min,
            maxLimit: settings.max,
            random: this.#random,
          },
          now,
        )
      : undefined;
    const managed: Managed = {
      pool,
      settings,
      inProcess: options.inProcess ?? settings.inProcess,
      controller,
      demand: new DemandPredictor(),
      seen: undefined,
      lastTool: undefined,
      lastDecision: undefined,
      decisions: 0,
    };
    this.#pools.set(pool.id, managed);
    if (controller !== undefined && start !== pool.limit) {
      this.#record(managed, {
        time: now,
        from: pool.limit,
        to: start,
        reason: 'config',
        evidence: NO_EVIDENCE,
      });
      if (!settings.dryRun) pool.setLimit(start);
    }
  }

  /** Stops tuning a pool; its limit stays where it is. */
  unregisterPool(poolId: string): void {
    this.#pools.delete(poolId);
  }

  /** Registers every pool `source` lists now and on each tick (pools are created lazily). */
  attach(source: PoolSource): void {
    this.#sources.push(source);
    this.#sync();
  }

  /** Subscribes to decisions; returns the unsubscribe function. */
  addListener(listener: TuningDecisionListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  onObservation(observation: CallObservation): void {
    const managed = this.#poolOf(observation.ref);
    if (managed === undefined) return;
    this.#classifier.observe(observation);
    managed.demand.observe(observation.startTime, observation.durationMs);
    managed.lastTool = observation.ref.key;
    if (managed.controller === undefined) return;
    managed.controller.onSample(observationToSample(observation));
    this.#apply(managed);
  }

  /**
   * An overload verdict (the analyzer found the upstream saturated) is a congestion signal: growth
   * freezes, and a critical one backs the limit off. A fault verdict — a slower tool, errors, a leak —
   * says nothing about concurrency and moves nothing.
   */
  onVerdict(verdict: Verdict): void {
    if (!verdict.anomaly || verdict.class !== 'overload') return;
    const managed = this.#poolOf(verdict.ref);
    if (managed?.controller === undefined) return;
    const critical = verdict.severity === 'critical';
    const time = this.#clock();
    managed.controller.onSignal({ kind: 'latency_anomaly', time, critical, score: verdict.score });
    this.#apply(managed);
  }

  /**
   * Host load: when the CPU is saturated *by this process*, in-process pools of CPU-bound tools back
   * off and stop growing for a while. CPU used by other processes, and tools that mostly wait (or
   * run in another process), are left alone: their capacity does not depend on our cores.
   */
  onHostSignal(signal: HostSignal): void {
    const cpuSaturated = signal.cpuUtilization >= this.#config.hostCpuSaturation;
    const ours =
      signal.processCpuUtilization === undefined ||
      signal.processCpuUtilization >= OWN_CPU_SHARE * signal.cpuUtilization;
    const loopSaturated = (signal.eventLoopDelayP99Ms ?? 0) >= EVENT_LOOP_SATURATED_MS;
    if (!(cpuSaturated && ours) && !loopSaturated) return;
    const time = this.#clock();
    for (const managed of this.#pools.values()) {
      if (!managed.inProcess || managed.controller === undefined) continue;
      const pattern =
        managed.lastTool === undefined ? 'unknown' : this.#classifier.profile(managed.lastTool).pattern;
      if (pattern !== 'cpu_bound') continue;
      managed.controller.onSignal({ kind: 'host_cpu_saturation', time, utilization: signal.cpuUtilization });
      this.#apply(managed);
    }
  }

  /** Advances every controller to `now` (window ends, probes); call every `config.intervalMs`. */
  tick(now: number = this.#clock()): void {
    this.#sync();
    for (const managed of this.#pools.values()) {
      managed.demand.tick(now);
      if (managed.controller === undefined) continue;
      managed.controller.onTick(now);
      this.#apply(managed);
    }
  }

  /** Recent decisions, oldest first (at most `config.history`). */
  decisions(): readonly TuningDecision[] {
    return [...this.#history];
  }

  /** Load profile of every tool seen, by tool key (`service/tool`), for status pages. */
  profiles(): Map<string, LoadProfile> {
    const profiles = new Map<string, LoadProfile>();
    for (const key of this.#classifier.toolKeys()) profiles.set(key, this.#classifier.profile(key));
    return profiles;
  }

  /** The tuner's state per pool, for status pages and the demo summary. */
  status(): TuningStatus {
    const pools: PoolTuningStatus[] = [];
    for (const m of this.#pools.values()) {
      const state = m.controller?.state;
      const profile = m.lastTool === undefined ? undefined : this.#classifier.profile(m.lastTool);
      pools.push({
        poolId: m.pool.id,
        enabled: m.controller !== undefined,
        dryRun: m.settings.dryRun,
        inProcess: m.inProcess,
        limit: m.pool.limit,
        recommendedLimit: state?.limit,
        minLimit: m.settings.min,
        maxLimit: m.settings.max,
        inFlight: m.pool.inFlight,
        queued: m.pool.queued,
        noLoadLatencyMs: state?.noLoadLatencyMs,
        window: state?.lastWindow,
        profile,
        demand: m.demand.forecast(),
        decisions: m.decisions,
        lastDecision: m.lastDecision,
        judgement: state?.judgement,
      });
    }
    return { enabled: this.#config.enabled, dryRun: this.#config.dryRun, pools, decisions: this.decisions() };
  }

  #poolOf(ref: ToolRef): Managed | undefined {
    return this.#pools.get(ref.key) ?? this.#pools.get(ref.service);
  }

  #sync(): void {
    for (const source of this.#sources) for (const pool of source.list()) this.registerPool(pool);
  }

  /** Records the controller's new adjustment, if any, and applies its limit. True if it had one. */
  #apply(managed: Managed): boolean {
    const controller = managed.controller!;
    const adjustment = controller.lastAdjustment;
    const fresh = adjustment !== undefined && adjustment !== managed.seen;
    if (fresh) {
      managed.seen = adjustment;
      this.#record(managed, adjustment);
    }
    if (!managed.settings.dryRun && managed.pool.limit !== controller.limit)
      managed.pool.setLimit(controller.limit);
    return fresh;
  }

  /** Adds a decision to the history and tells listeners. A limit kept as it was is not a decision. */
  #record(managed: Managed, adjustment: LimitAdjustment): void {
    if (adjustment.from === adjustment.to) return;
    const forecast = managed.demand.forecast();
    const evidence: TuningEvidence = {
      ...adjustment.evidence,
      pattern:
        managed.lastTool === undefined ? undefined : this.#classifier.profile(managed.lastTool).pattern,
      predictedDemand: forecast.buckets > 0 ? forecast.predictedConcurrency : undefined,
    };
    const { from, to } = adjustment;
    const decision: TuningDecision = {
      time: adjustment.time,
      poolId: managed.pool.id,
      previousLimit: from,
      newLimit: to,
      direction: to > from ? 'up' : to < from ? 'down' : 'hold',
      reason: adjustment.reason,
      applied: !managed.settings.dryRun,
      evidence,
      message: describeDecision(
        managed.pool.id,
        from,
        to,
        adjustment.reason,
        evidence,
        managed.settings.dryRun,
      ),
    };
    managed.decisions++;
    managed.lastDecision = decision;
    this.#history.push(decision);
    if (this.#history.length > this.#config.history) this.#history.shift();
    for (const listener of this.#listeners) {
      try {
        listener.onTuningDecision(decision);
      } catch {
        // A broken listener must not stop tuning or the other listeners.
      }
    }
  }
}

const NO_EVIDENCE: TuningEvidence = {
  samples: 0,
  latencyMs: undefined,
  noLoadLatencyMs: undefined,
  queueEstimate: undefined,
  capacityEstimate: undefined,
  meanInFlight: undefined,
  throughputPerSec: undefined,
  drops: 0,
};
