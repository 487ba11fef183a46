import type { Context } from '@opentelemetry/api';

/**
 * The product of every tool call besides its result. Everything downstream of the
 * pipeline (metrics, analyzer, tuner, alerts, dashboard, export) consumes this
 * record and nothing else; adding a field here is how the whole system learns
 * something new about a call.
 */

/** Identifies a tool behind toolscope: the service that serves it and its name there. */
export interface ToolRef {
  /** Configured service name (the key in `mcpServers`). */
  readonly service: string;
  /** The tool's own name on that service. */
  readonly tool: string;
  /** `service/tool`: a stable key for per-tool state (baselines, pools, series). */
  readonly key: string;
}

/** How a call ended, from the caller's point of view. */
export type CallOutcome = 'success' | 'tool_error' | 'error';

/**
 * Stable, low-cardinality failure classes shared by spans, metrics and alerts.
 * `tool_error` is a result with `isError: true` from the tool itself.
 */
export type ErrorType =
  | 'timeout'
  | 'overloaded'
  | 'circuit_open'
  | 'upstream_unavailable'
  | 'invalid_params'
  | 'tool_error'
  | 'transport'
  | 'cancelled'
  | 'internal';

/** What the CPU figures of an observation mean; consumers must not mix them up. */
export type CpuAttribution =
  /** On-CPU time of this call's own async continuations (exact, in-process). */
  | 'call'
  /** Process CPU during the call window; shared with the other calls in flight. */
  | 'process_window'
  /** CPU of the upstream child process during the call window (OS figures). */
  | 'upstream_process';

/** One finished tool call. Times in milliseconds unless the name says otherwise. */
export interface CallObservation {
  readonly ref: ToolRef;
  /** Agent scope the call came through, if any (`undefined` for store mode). */
  readonly agent: string | undefined;
  /** Wall-clock start, epoch milliseconds. */
  readonly startTime: number;
  /** Total duration seen by the caller, including queue wait and retries. */
  readonly durationMs: number;
  /** Time spent waiting for a pool slot. */
  readonly queueWaitMs: number;
  /** Calls of the same pool already running when this one was admitted. */
  readonly inFlightAtStart: number;
  /** Size of the serialised arguments (bytes, exact when the transport knows it). */
  readonly inputBytes: number;
  /** Size of the serialised result (bytes). */
  readonly outputBytes: number;
  readonly outcome: CallOutcome;
  /** Set when `outcome` is not `success`. */
  readonly errorType: ErrorType | undefined;
  /** Attempts made (1 without retries). */
  readonly attempts: number;
  /**
   * Trace context the call ran in (its SERVER span), so observers that judge a call
   * (analyzer) can annotate its span; `undefined` when no tracing transport saw it.
   */
  readonly traceContext?: Context | undefined;
  /** CPU user time attributed to the call, microseconds (profiling step). */
  cpuUserMicros?: number;
  /** CPU system time attributed to the call, microseconds (profiling step). */
  cpuSystemMicros?: number;
  /** What the CPU figures mean. */
  cpuAttribution?: CpuAttribution;
  /** Estimated bytes allocated on the JS heap by the call (profiling step). */
  heapAllocatedBytes?: number;
  /** GC pause time that overlapped the call, milliseconds (profiling step). */
  gcOverlapMs?: number;
  /** Event-loop delay observed during the call (max), milliseconds (profiling step). */
  eventLoopDelayMs?: number;
  /** Upstream process resident set size at the end of the call, bytes. */
  upstreamRssBytes?: number;
  /**
   * Time-weighted mean number of calls in flight in the same scope during this
   * call's window, this one included (≥ 1): every profiled in-process call for
   * `call`/`process_window` figures, the same service's calls for
   * `upstream_process`. Process-level CPU is shared among about this many calls.
   */
  inFlightDuringCall?: number;
  /**
   * Length of the window the process-level CPU figures cover, ms: the call's own
   * window for `process_window`; the span between the two OS samples bracketing
   * the call for `upstream_process` (0 when both ends hit the same rate-limited
   * sample). Unset for `call` figures.
   */
  cpuWindowMs?: number;
}

/** Subscribers to finished calls. Must be cheap: they run on the hot path. */
export interface CallObserver {
  onObservation(observation: CallObservation): void;
}

/**
 * The CPU a call cost, µs, as honestly as the figures allow: exact for `call` figures; for
 * process-level figures (`process_window`, `upstream_process`) the process's CPU during the call
 * divided among the calls in flight then — an estimate of the call's share, not a measurement.
 * `undefined` without CPU figures.
 */
export function callCpuMicros(observation: CallObservation): number | undefined {
  if (observation.cpuUserMicros === undefined && observation.cpuSystemMicros === undefined) return undefined;
  const cpu = (observation.cpuUserMicros ?? 0) + (observation.cpuSystemMicros ?? 0);
  if ((observation.cpuAttribution ?? 'call') === 'call') return cpu;
  return cpu / Math.max(1, observation.inFlightDuringCall ?? observation.inFlightAtStart + 1);
}
