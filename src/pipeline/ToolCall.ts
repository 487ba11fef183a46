import type { Context } from '@opentelemetry/api';
import type { CallObservation, ErrorType, ToolRef } from './CallObservation.js';

/** Per-call resource figures written by the profiling stage and copied into the observation. */
export type CallProfile = Partial<
  Pick<
    CallObservation,
    | 'cpuUserMicros'
    | 'cpuSystemMicros'
    | 'cpuAttribution'
    | 'heapAllocatedBytes'
    | 'gcOverlapMs'
    | 'eventLoopDelayMs'
    | 'upstreamRssBytes'
    | 'inFlightDuringCall'
    | 'cpuWindowMs'
  >
>;

/** A tool's result as MCP carries it (`CallToolResult`), passed through untouched. */
export interface ToolResult {
  content?: unknown[];
  structuredContent?: unknown;
  isError?: boolean;
  [key: string]: unknown;
}

/** Where a resolved tool runs: an upstream service, or a handler in this process. */
export interface ToolExecutor {
  /** `upstream` calls cross a process or network boundary; `in_process` calls run here. */
  readonly kind: 'upstream' | 'in_process';
  execute(call: ToolCall): Promise<ToolResult>;
}

/** What the resolve stage knows about a tool once it is found. */
export interface ResolvedTool {
  readonly ref: ToolRef;
  /** The tool definition as the upstream listed it (name, inputSchema, annotations, …). */
  readonly definition: { name: string; inputSchema?: unknown; annotations?: Record<string, unknown> };
  readonly executor: ToolExecutor;
}

/**
 * One tool call travelling through the pipeline. Stages read what earlier
 * stages wrote; the fields after `tool` are filled in as the call moves.
 */
export interface ToolCall {
  /** The name the caller asked for (possibly namespaced). */
  readonly requestedName: string;
  /** `params.arguments` of the request. */
  readonly arguments: Record<string, unknown> | undefined;
  /** The request's `params`, forwarded upstream as-is (with the tool's own name). */
  readonly params: Record<string, unknown>;
  /** Agent scope, when the caller came through one. */
  readonly agent: string | undefined;
  /** Aborted when the caller cancels or disconnects. */
  readonly signal: AbortSignal;
  /** Serialised size of the request, when the transport measured it (else 0 → estimated). */
  inputBytes: number;
  /** Serialised size of the result, when the transport measured it (else 0 → estimated). */
  outputBytes: number;
  /** Forwards the upstream's `notifications/progress` to the caller (set when the caller asked for progress). */
  readonly progress: ((params: Record<string, unknown>) => void) | undefined;
  /** Set by resolve. */
  tool: ResolvedTool;
  /** Set by admit. */
  queueWaitMs: number;
  /** Set by admit. */
  inFlightAtStart: number;
  /** Set by guard (1 without retries). */
  attempts: number;
  /** OpenTelemetry context the call runs in (the telemetry stage sets it to the call's span). */
  context: Context | undefined;
  /** Set when the call fails, before the error leaves the pipeline. */
  errorType: ErrorType | undefined;
  /** Resource figures of the call (profiling stage); copied into the observation. */
  profile: CallProfile | undefined;
  /** Free slots for stages added by later capabilities. */
  readonly extensions: Record<string, unknown>;
}

/** Continues the pipeline with the next stage. */
export type NextStage = (call: ToolCall) => Promise<ToolResult>;

/**
 * One stage of the call pipeline. A stage does one job, then hands the call on
 * with `next` (or answers without it). Stages never reach around their neighbours.
 */
export interface CallStage {
  readonly name: string;
  handle(call: ToolCall, next: NextStage): Promise<ToolResult>;
}
