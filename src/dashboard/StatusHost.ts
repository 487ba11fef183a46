import type { AlertStatus } from '../alerts/index.js';
import type { ToolAnalysisStatus, VerdictObserver } from '../analysis/index.js';
import type { ToolscopeConfig } from '../config/index.js';
import type { Gateway } from '../gateway/index.js';
import type { Profiling } from '../profiling/index.js';
import type { ExecutionControl } from '../resilience/index.js';
import type { HostStatus, KeptTraceLog } from '../telemetry/index.js';
import type { StatusSnapshot } from './StatusSnapshot.js';
import type { ToolStatsCollector } from './ToolStatsCollector.js';

/**
 * One recorded pool resize, as the tuner reports it (the fields of
 * `tuning/TuningDecision`; the status API shows them as they are).
 */
export interface TuningDecisionRecord {
  /** Epoch ms. */
  readonly time: number;
  readonly poolId: string;
  readonly previousLimit: number;
  readonly newLimit: number;
  readonly direction: 'up' | 'down' | 'hold';
  /** Low-cardinality reason, e.g. `capacity_drop`, `probe_up`. */
  readonly reason: string;
  /** False in dry-run mode (recommended, not applied). */
  readonly applied: boolean;
  /** One line for humans. */
  readonly message: string;
  /** What the controller saw (`TuningEvidence`); passed through to JSON as is. */
  readonly evidence?: object;
}

/** A tool's load profile as the tuner classifies it. */
export interface LoadProfileRecord {
  /** `cpu_bound`, `io_bound`, `memory_heavy`, `mixed` or `unknown`. */
  readonly pattern: string;
  readonly cpuRatio?: number | undefined;
  readonly heapPerCallBytes?: number | undefined;
  readonly memoryTrendBytesPerMin?: number | undefined;
  readonly samples?: number;
}

/** What the tuner last concluded about a pool: why it acted, or why it held. */
export interface PoolJudgementRecord {
  readonly poolId: string;
  /** The pool's limit now. */
  readonly limit: number;
  /** Epoch ms of the judgement. */
  readonly time: number;
  /** `not_saturated`, `verifying`, `unverified` or `saturated`. */
  readonly kind: string;
  /** One line for humans. */
  readonly message: string;
}

/**
 * What the status API reads from the adaptive resource manager, when there is one
 * (`runtime.tuning`). Both calls run per status request, off the hot path.
 */
export interface TuningSource {
  /** Recent decisions, oldest first, bounded by the tuner (e.g. the last 200). */
  decisions(): readonly TuningDecisionRecord[];
  /** Load profile per tool key (`service/tool`). */
  loadPatterns(): ReadonlyMap<string, LoadProfileRecord>;
  /** The last judgement per pool that made one. */
  judgements?(): readonly PoolJudgementRecord[];
  /** Recommending without applying. @default false */
  readonly dryRun?: boolean;
  /** The tuner runs (`toolscope.tuning.enabled`). @default true */
  readonly enabled?: boolean;
}

/** Where the status API finds the kept traces of an anomaly or an alert. */
export interface TraceSource {
  readonly kept: Pick<KeptTraceLog, 'find'>;
  /** Jaeger's base URL (`toolscope.telemetry.jaegerUrl`): links become `<url>/trace/<id>`. */
  readonly jaegerUrl?: string | undefined;
}

/**
 * What the status API reads: the parts of `ToolscopeRuntime` it needs, so tests
 * can hand it a runtime or a stand-in. Reads only; the one write is subscribing
 * a verdict observer once.
 */
export interface StatusHost {
  readonly startedAt: number;
  readonly config: Pick<ToolscopeConfig, 'servers'>;
  /** The gateway, or (`register`: an app's own servers, in process) a stand-in without upstreams. */
  readonly gateway: Pick<Gateway, 'upstreams' | 'scopes' | 'sessions'> & {
    readonly mode: StatusSnapshot['mode'];
  };
  readonly stats: ToolStatsCollector;
  readonly control: Pick<ExecutionControl, 'status'>;
  readonly analysis: {
    readonly analyzer: { readonly analyzer: { status(): ToolAnalysisStatus[] } } | undefined;
    readonly alerts: { status(): AlertStatus };
    addVerdictObserver(observer: VerdictObserver): void;
  };
  readonly profiling: Pick<Profiling, 'capture' | 'upstream'>;
  /** The adaptive resource manager, once it is part of the runtime. */
  readonly tuning?: TuningSource | undefined;
  /** Exported traces per tool and where Jaeger shows them, when traces are exported. */
  readonly traces?: TraceSource | undefined;
  /** Host and runtime metrics, when metrics are on (`runtime.telemetry.hostMetrics`). */
  readonly telemetry?: { readonly hostMetrics?: { lastSnapshot(): HostStatus } | undefined } | undefined;
}
