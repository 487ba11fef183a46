import { context } from '@opentelemetry/api';
import { estimateJsonBytes } from '../jsonrpc/index.js';
import {
  type CallStage,
  ExecuteStage,
  Pipeline,
  type ResolvedTool,
  type ToolCall,
  type ToolExecutor,
  type ToolResolver,
  type ToolResult,
} from '../pipeline/index.js';
import type { InProcessInstrumentation } from './InProcessInstrumentation.js';
import { reportOnce } from './reportOnce.js';

/** `call.extensions` key of the SDK's request object (`{ method, params }`) of an in-process call. */
export const SDK_REQUEST = 'mcp.sdk.request';
/** `call.extensions` key of the SDK's handler extra (1.x `RequestHandlerExtra`, 2.x `ctx`). */
export const SDK_EXTRA = 'mcp.sdk.extra';

/** A `tools/call` request handler as the SDK stores it (`Protocol._requestHandlers`). */
export type SdkRequestHandler = (request: unknown, extra: unknown) => unknown;

/** Resolved tools kept per server; past this, names (from the wire) are resolved per call. */
const MAX_CACHED_TOOLS = 1024;
const NEVER_ABORTED = new AbortController().signal;
const execute = new ExecuteStage();

/**
 * Runs one server's `tools/call` handler inside the in-process pipeline, so the
 * call is observed like a gateway call (`toolscope.call.duration`, the
 * analyzer, profiling). The SDK's handler is the executor, called with the
 * SDK's own `request` and `extra`; its result and errors pass through as the
 * same objects. The tool's service is the server's `serverInfo.name`.
 */
export class InProcessToolRunner implements ToolResolver {
  readonly #registry: InProcessInstrumentation;
  readonly #service: () => string;
  readonly #handler: SdkRequestHandler;
  readonly #executor: ToolExecutor;
  readonly #tools = new Map<string, ResolvedTool>();
  #pipeline: Pipeline | undefined;
  #version = -1;
  #serviceName: string | undefined;

  constructor(registry: InProcessInstrumentation, service: () => string, handler: SdkRequestHandler) {
    this.#registry = registry;
    this.#service = service;
    this.#handler = handler;
    this.#executor = {
      kind: 'in_process',
      execute: (call: ToolCall) => {
        const extensions = call.extensions;
        return Promise.resolve(handler(extensions[SDK_REQUEST], extensions[SDK_EXTRA]) as ToolResult).then(
          (result) => {
            call.outputBytes = safeBytes(result);
            return result;
          },
        );
      },
    };
  }

  /** The handler's answer to `request`, observed. */
  run(request: unknown, extra: unknown): Promise<unknown> {
    let pipeline: Pipeline;
    let params: Record<string, unknown>;
    try {
      pipeline = this.#current();
      const raw = (request as { params?: unknown } | undefined)?.params;
      params = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
    } catch (error) {
      reportOnce('in-process tool call', error);
      return Promise.resolve(this.#handler(request, extra));
    }
    return pipeline.call({
      name: typeof params.name === 'string' ? params.name : '',
      params,
      agent: undefined,
      signal: signalOf(extra),
      inputBytes: safeBytes(params.arguments),
      progress: undefined,
      // The SERVER span the transport opened (the handler runs in it): observers annotate it.
      context: context.active(),
      extensions: { [SDK_REQUEST]: request, [SDK_EXTRA]: extra },
    });
  }

  resolve(name: string): ResolvedTool {
    let tool = this.#tools.get(name);
    if (tool === undefined) {
      this.#serviceName ??= this.#service();
      const service = this.#serviceName;
      tool = {
        ref: { service, tool: name, key: `${service}/${name}` },
        definition: { name },
        executor: this.#executor,
      };
      if (this.#tools.size < MAX_CACHED_TOOLS) this.#tools.set(name, tool);
    }
    return tool;
  }

  #current(): Pipeline {
    const registry = this.#registry;
    if (this.#pipeline === undefined || this.#version !== registry.version) {
      const stages: CallStage[] = [registry.observe, ...registry.stages, execute];
      this.#pipeline = new Pipeline(this, stages);
      this.#version = registry.version;
    }
    return this.#pipeline;
  }
}

/** The request's abort signal: `extra.signal` (SDK 1.x) or `ctx.mcpReq.signal` (2.x). */
function signalOf(extra: unknown): AbortSignal {
  const holder = extra as { signal?: unknown; mcpReq?: { signal?: unknown } } | undefined;
  const signal = holder?.signal ?? holder?.mcpReq?.signal;
  return signal instanceof AbortSignal ? signal : NEVER_ABORTED;
}

/**
 * Approximate JSON size for the observation, never throwing and never 0 (0 would
 * make the observe stage estimate again, unguarded): arguments handed over in
 * process may hold getters that throw.
 */
function safeBytes(value: unknown): number {
  if (value === undefined) return 1;
  try {
    return estimateJsonBytes(value) || 1;
  } catch {
    return 1;
  }
}
