import type { ActiveAlert, AlertEvent } from '../alerts/index.js';
import type {
  Detector,
  FeatureDeviation,
  Severity,
  ToolLoadStatus,
  VerdictClass,
} from '../analysis/index.js';
import type { UpstreamState } from '../gateway/index.js';
import type { TopFunction } from '../profiling/index.js';
import type { HostStatus } from '../telemetry/index.js';
import type { AnomalyEpisode } from './AnomalyLog.js';
import type { LoadProfileRecord, PoolJudgementRecord, TuningDecisionRecord } from './StatusHost.js';
import type { SeriesSet } from './ToolStatsCollector.js';

/** An exported trace of an incident's calls: its id, why it was kept, and its Jaeger page when Jaeger is configured. */
export interface TraceLink {
  traceId: string;
  /** `error`, `anomaly`, `slow`, `parent` or `ratio` (see `toolscope.sampling.reason`). */
  reason: string;
  /** Epoch ms of the call's start. */
  time: number;
  durationMs: number;
  /** `service/tool` of the call. */
  key: string;
  url?: string;
}

/** An anomaly episode with the kept traces of its calls. */
export type AnomalyEpisodeStatus = AnomalyEpisode & { traces?: TraceLink[] };
/** An alert notification with the kept traces of the calls it is about. */
export type AlertEventStatus = AlertEvent & { traces?: TraceLink[] };
/** An alert that holds now, with the kept traces of the calls since it began. */
export type ActiveAlertStatus = ActiveAlert & { traces?: TraceLink[] };

/** One upstream service, without secrets: no `env`, no headers, no URL credentials or query. */
export interface ServiceStatus {
  name: string;
  kind: 'stdio' | 'remote' | 'in_process';
  /** stdio: the command line, arguments that look like secrets redacted. */
  command?: string;
  /** remote: scheme, host and path only. */
  url?: string;
  state: UpstreamState;
  /** Epoch ms the current connection (or attempt) started. */
  startedAt: number;
  uptimeMs: number;
  restarts: number;
  lastError?: string;
  pid?: number;
  /** Original tool names, as the service lists them. */
  tools: string[];
  /** Last lines the process wrote to stderr (stdio services). */
  stderrTail: string[];
  /** OS figures of the process tree (Linux, stdio services). */
  process?: { rssBytes: number; cpuCores: number };
}

/** A tool's analyzer state. */
export interface ToolAnomalyStatus {
  /** Latest combined score, 0…1. */
  score: number;
  anomalous: boolean;
  severity: Severity | null;
  /** `fault` (the tool changed), `overload` (its upstream is saturated) or `demand` (busier, served fine). */
  class: VerdictClass | null;
  /** The detector behind the current episode. */
  detector: Detector | null;
  /** What load does to the tool: demand, concurrency, whether latency follows it, refusals. */
  load: ToolLoadStatus;
  /** Epoch ms the current episode started. */
  since: number | null;
  warmingUp: boolean;
  deviations: readonly FeatureDeviation[];
  reasons: readonly string[];
  recommendations: readonly string[];
}

/** One tool's figures: counts, latency, cost, analyzer, pool, breaker, load pattern. */
export interface ToolStatus {
  key: string;
  service: string;
  tool: string;
  /** Name agents call it by in store mode (e.g. `storage_fetch_record`). */
  name: string;
  calls: number;
  errors: number;
  toolErrors: number;
  /** (errors + tool errors) / calls. */
  errorRate: number;
  errorTypes: Record<string, number>;
  /** Latency over the recent calls, ms. */
  p50: number;
  p95: number;
  p99: number;
  queueWaitP95: number;
  /**
   * CPU per call, µs: exact for a tool in toolscope's process (`cpuKind: "call"`); for a tool in
   * another process an estimate, its process's CPU during each call divided among the calls in
   * flight (`cpuKind: "process_share"`).
   */
  cpuMicrosPerCall: number | null;
  cpuKind: 'call' | 'process_share' | null;
  /** Heap allocated per call: only for tools in toolscope's process (null otherwise). */
  heapBytesPerCall: number | null;
  anomaly: ToolAnomalyStatus | null;
  pool: {
    id: string;
    limit: number;
    initialLimit: number;
    inFlight: number;
    queued: number;
    queueSize: number;
  } | null;
  /** The worse of the tool's own breaker and its service's. */
  breaker: { state: 'closed' | 'half_open' | 'open'; ids: string[]; retryAfterMs: number } | null;
  /** From the tuner; `unknown` without one. */
  loadPattern: LoadProfileRecord;
}

/** A finished profile capture, with its hottest functions. */
export interface ProfileStatus {
  toolKey: string;
  reason: 'on_demand' | 'anomaly';
  startedAt: number;
  durationMs: number;
  path: string;
  sampleCount: number;
  top: readonly TopFunction[];
}

/** The limit of each pool per bucket of the series, from the tuner's decisions. */
export type PoolLimitSeries = Record<string, Array<number | null>>;

/** `GET /status`: everything the dashboard, `toolscope status/top/export` and scripts read. */
export interface StatusSnapshot {
  version: string;
  pid: number;
  /** `register`: the tools of an app's own MCP servers, instrumented in process (`--import toolscope/register`). */
  mode: 'gateway' | 'proxy' | 'register';
  /** Epoch ms when the snapshot was taken. */
  now: number;
  startedAt: number;
  uptimeMs: number;
  /** Downstream MCP sessions connected now. */
  sessions: number;
  services: ServiceStatus[];
  tools: ToolStatus[];
  alerts: { active: readonly ActiveAlertStatus[]; recent: readonly AlertEventStatus[] };
  /** Each with the kept traces of its calls (empty when traces are not exported or none are held). */
  anomalies: AnomalyEpisodeStatus[];
  tuning: {
    enabled: boolean;
    dryRun: boolean;
    decisions: TuningDecisionRecord[];
    /** Why the tuner acted or held, per pool (its last judgement of saturation). */
    judgements: readonly PoolJudgementRecord[];
  };
  profiles: { running: boolean; recent: ProfileStatus[] };
  /** CPU, memory, disk and network I/O of the host; event loop, GC and heap of this process (absent when metrics are off). */
  host?: HostStatus;
  /** Omitted with `?series=0`. `limits` is per pool id, aligned with `t`. */
  series?: SeriesSet & { limits: PoolLimitSeries };
}
