import type { Context } from '@opentelemetry/api';
import type { CallStage, NextStage, ResolvedTool, ToolCall, ToolResult } from './ToolCall.js';

/** Turns a requested name into a tool, or throws the JSON-RPC error the caller should get. */
export interface ToolResolver {
  resolve(requestedName: string, agent: string | undefined): ResolvedTool;
}

/** What an entry point knows about an incoming `tools/call`. */
export interface ToolCallRequest {
  name: string;
  params: Record<string, unknown>;
  agent: string | undefined;
  signal: AbortSignal;
  inputBytes: number;
  progress: ((params: Record<string, unknown>) => void) | undefined;
  /** Trace context of the request (its SERVER span), when known. */
  context?: Context | undefined;
  /** Entries copied into `call.extensions` (e.g. the SDK's `request`/`extra` for an in-process executor). */
  extensions?: Record<string, unknown> | undefined;
  /** The tool, when the entry point has resolved it itself (a client session's own catalog). */
  tool?: ResolvedTool | undefined;
}

/**
 * The one path every tool call takes: resolve, then the stages in order
 * (observe → validate → admit → guard → [profile] → execute). The dispatch chain
 * is built once, so a call allocates nothing for the composition itself.
 */
export class Pipeline {
  readonly #resolver: ToolResolver;
  readonly #first: NextStage;
  readonly stages: readonly CallStage[];

  constructor(resolver: ToolResolver, stages: readonly CallStage[]) {
    if (stages.length === 0) throw new Error('a pipeline needs at least an execute stage');
    this.#resolver = resolver;
    this.stages = stages;
    const dispatch: NextStage[] = new Array(stages.length);
    const end: NextStage = () =>
      Promise.reject(new Error('the last pipeline stage must answer without calling next'));
    for (let i = stages.length - 1; i >= 0; i--) {
      const stage = stages[i] as CallStage;
      const next = i === stages.length - 1 ? end : (dispatch[i + 1] as NextStage);
      dispatch[i] = (call) => stage.handle(call, next);
    }
    this.#first = dispatch[0] as NextStage;
  }

  /** Run a call. Throws for protocol errors (unknown tool, overload, …); tool failures are results. */
  call(request: ToolCallRequest): Promise<ToolResult> {
    let tool: ResolvedTool;
    try {
      tool = request.tool ?? this.#resolver.resolve(request.name, request.agent);
    } catch (error) {
      return Promise.reject(error);
    }
    const args = request.params.arguments;
    const call: ToolCall = {
      requestedName: request.name,
      arguments: typeof args === 'object' && args !== null ? (args as Record<string, unknown>) : undefined,
      params: request.params,
      agent: request.agent,
      signal: request.signal,
      inputBytes: request.inputBytes,
      outputBytes: 0,
      progress: request.progress,
      tool,
      queueWaitMs: 0,
      inFlightAtStart: 0,
      attempts: 1,
      context: request.context,
      errorType: undefined,
      profile: undefined,
      extensions: { ...request.extensions },
    };
    return this.#first(call);
  }
}
