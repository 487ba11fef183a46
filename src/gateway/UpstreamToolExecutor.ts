import type { OutgoingRequestOptions } from '../jsonrpc/JsonRpcPeer.js';
import type { ToolCall, ToolExecutor, ToolResult } from '../pipeline/index.js';
import type { Upstream } from './Upstream.js';

/**
 * Runs tool calls on an upstream service: sends `tools/call` under the tool's own
 * name, forwards progress to the caller, and cancels upstream
 * (`notifications/cancelled`) when the call's signal aborts.
 */
export class UpstreamToolExecutor implements ToolExecutor {
  readonly kind: 'upstream' | 'in_process';
  readonly #upstream: Upstream;

  constructor(upstream: Upstream) {
    this.#upstream = upstream;
    this.kind = upstream.executorKind;
  }

  async execute(call: ToolCall): Promise<ToolResult> {
    const original = call.tool.ref.tool;
    const params = call.params.name === original ? call.params : { ...call.params, name: original };
    const options: OutgoingRequestOptions = {
      signal: call.signal,
      onProgress: call.progress,
      context: call.context,
    };
    const result = await this.#upstream.request('tools/call', params, options);
    call.outputBytes = options.responseBytes ?? 0;
    return result as ToolResult;
  }
}
