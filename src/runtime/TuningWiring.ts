import { availableParallelism } from 'node:os';
import { type Context, type Counter, type Meter, SpanKind, type Tracer, trace } from '@opentelemetry/api';
import type { Verdict, VerdictObserver } from '../analysis/index.js';
import type { LoadProfileRecord, PoolJudgementRecord, TuningSource } from '../dashboard/index.js';
import type { Gateway } from '../gateway/index.js';
import type { CallObservation, CallObserver } from '../pipeline/index.js';
import type { ExecutionControl } from '../resilience/index.js';
import {
  ATTR_TS_SERVICE,
  ATTR_TS_TUNING_APPLIED,
  ATTR_TS_TUNING_MESSAGE,
  ATTR_TS_TUNING_NEW_LIMIT,
  ATTR_TS_TUNING_PREVIOUS_LIMIT,
  EVENT_TS_TUNING,
  METRIC_TS_TUNING_DECISIONS,
} from '../telemetry/toolscopeNames.js';
import {
  AdaptiveResourceManager,
  describeJudgement,
  type TuningConfig,
  type TuningDecision,
  tuningDecisionAttributes,
} from '../tuning/index.js';

export interface TuningWiringOptions {
  config: TuningConfig;
  control: ExecutionControl;
  gateway: () => Gateway | undefined;
  /** Busy share of the host's cores (0…1), for the host-saturation signal. */
  hostCpuUtilization: () => number | undefined;
  meter: Meter | undefined;
  tracer: Tracer | undefined;
}

/**
 * The tuner's edge: feeds the adaptive resource manager observations, verdicts,
 * the host CPU signal and a tick; registers the pools execution control creates
 * (exclusive pools are never resized); and records every decision as a
 * `toolscope.tuning.decisions` sample and a span event — on the span of the call
 * that triggered it, or on a short span of its own for tick-driven decisions.
 */
export class TuningWiring implements CallObserver, VerdictObserver, TuningSource {
  readonly manager: AdaptiveResourceManager;
  readonly #options: TuningWiringOptions;
  readonly #decisions: Counter | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Trace context of the call being observed, while the manager handles it (decisions made then belong to it). */
  #callContext: Context | undefined;
  #lastCpu = process.cpuUsage();
  #lastCpuAt = performance.now();

  constructor(options: TuningWiringOptions) {
    this.#options = options;
    this.manager = new AdaptiveResourceManager({ config: options.config });
    this.#decisions = options.meter?.createCounter(METRIC_TS_TUNING_DECISIONS, {
      unit: '{decision}',
      description:
        'Pool limit decisions of the adaptive resource manager (hold = a signal seen, limit kept).',
    });
    this.manager.addListener({ onTuningDecision: (decision) => this.#record(decision) });
  }

  get dryRun(): boolean {
    return this.#options.config.dryRun;
  }

  get enabled(): boolean {
    return this.#options.config.enabled;
  }

  start(): void {
    if (!this.#options.config.enabled || this.#timer) return;
    this.#timer = setInterval(() => this.#tick(), this.#options.config.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  onObservation(observation: CallObservation): void {
    this.#callContext = observation.traceContext;
    try {
      this.manager.onObservation(observation);
    } finally {
      this.#callContext = undefined;
    }
  }

  onVerdict(verdict: Verdict): void {
    this.manager.onVerdict(verdict);
  }

  decisions(): readonly TuningDecision[] {
    return this.manager.decisions();
  }

  judgements(): readonly PoolJudgementRecord[] {
    const out: PoolJudgementRecord[] = [];
    for (const pool of this.manager.status().pools) {
      const j = pool.judgement;
      if (j === undefined) continue;
      out.push({
        poolId: pool.poolId,
        limit: pool.limit,
        time: j.time,
        kind: j.kind,
        message: describeJudgement(pool.poolId, j),
      });
    }
    return out;
  }

  /** Load profile (CPU-bound, I/O-bound, memory-heavy …) per tool key. */
  loadPatterns(): ReadonlyMap<string, LoadProfileRecord> {
    return this.manager.profiles();
  }

  #tick(): void {
    const gateway = this.#options.gateway();
    for (const pool of this.#options.control.pools.list()) {
      if (pool.exclusive) continue;
      const service = pool.id.split('/')[0] as string;
      this.manager.registerPool(pool, {
        inProcess: gateway?.upstreams.get(service)?.executorKind === 'in_process',
      });
    }
    const cpu = this.#options.hostCpuUtilization();
    const own = this.#processCpuUtilization();
    if (cpu !== undefined) this.manager.onHostSignal({ cpuUtilization: cpu, processCpuUtilization: own });
    this.manager.tick();
  }

  /** This process's share of all cores since the last tick: whether a busy host is busy with us. */
  #processCpuUtilization(): number {
    const now = performance.now();
    const usage = process.cpuUsage(this.#lastCpu);
    const elapsedMs = Math.max(1, now - this.#lastCpuAt);
    this.#lastCpu = process.cpuUsage();
    this.#lastCpuAt = now;
    return (usage.user + usage.system) / 1000 / elapsedMs / availableParallelism();
  }

  #record(decision: TuningDecision): void {
    const attributes = {
      ...tuningDecisionAttributes(decision),
      [ATTR_TS_SERVICE]: decision.poolId.split('/')[0] as string,
    };
    this.#decisions?.add(1, attributes);
    const eventAttributes = {
      ...attributes,
      [ATTR_TS_TUNING_PREVIOUS_LIMIT]: decision.previousLimit,
      [ATTR_TS_TUNING_NEW_LIMIT]: decision.newLimit,
      [ATTR_TS_TUNING_APPLIED]: decision.applied,
      [ATTR_TS_TUNING_MESSAGE]: decision.message,
    };
    const callSpan = this.#callContext ? trace.getSpan(this.#callContext) : undefined;
    if (callSpan?.isRecording()) {
      callSpan.addEvent(EVENT_TS_TUNING, eventAttributes);
      return;
    }
    const tracer = this.#options.tracer;
    if (!tracer) return;
    const span = tracer.startSpan(`toolscope.tuning ${decision.poolId}`, {
      kind: SpanKind.INTERNAL,
      attributes,
    });
    if (span.isRecording()) span.addEvent(EVENT_TS_TUNING, eventAttributes);
    span.end();
  }
}
