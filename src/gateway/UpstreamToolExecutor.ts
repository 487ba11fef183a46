import {
  JsonRpcCode,
  type ToolCall,
  type ToolExecutor,
  type ToolResult,
  ToolscopeError,
} from '../pipeline/index.js';
import type { CallOrigin } from './Caller.js';
import type { Upstream, UpstreamRequestOptions } from './Upstream.js';

/** Where an entry point puts the call's origin in `call.extensions`. */
export const ORIGIN_EXTENSION = 'origin';

/**
 * Runs tool calls on an upstream service: sends `tools/call` under the tool's own
 * name, forwards progress to the caller, and cancels upstream
 * (`notifications/cancelled`) when the call's signal aborts. The call's origin
 * goes along, so what the server asks while it runs goes back to that caller.
 */
export class UpstreamToolExecutor implements ToolExecutor {
  readonly kind: 'upstream' | 'in_process';
  readonly #upstream: Upstream | (() => Upstream | undefined);

  /** `upstream` may be a getter: a client session's own connection is looked up at call time. */
  constructor(upstream: Upstream | (() => Upstream | undefined), kind?: 'upstream' | 'in_process') {
    this.#upstream = upstream;
    this.kind = kind ?? (typeof upstream === 'function' ? 'upstream' : upstream.executorKind);
  }

  async execute(call: ToolCall): Promise<ToolResult> {
    const original = call.tool.ref.tool;
    const params = call.params.name === original ? call.params : { ...call.params, name: original };
    const options: UpstreamRequestOptions = {
      signal: call.signal,
      onProgress: call.progress,
      context: call.context,
      origin: call.extensions[ORIGIN_EXTENSION] as CallOrigin | undefined,
    };
    const upstream = typeof this.#upstream === 'function' ? this.#upstream() : this.#upstream;
    if (!upstream)
      throw new ToolscopeError('upstream_unavailable', JsonRpcCode.ServerError, 'service is gone');
    const result = await upstream.request('tools/call', params, options);
    call.outputBytes = options.responseBytes ?? 0;
    return result as ToolResult;
  }
}
