import type { CallStage, ToolCall, ToolResult } from './ToolCall.js';

/** The last stage: hands the call to the tool's executor (upstream service or in-process handler). */
export class ExecuteStage implements CallStage {
  readonly name = 'execute';

  handle(call: ToolCall): Promise<ToolResult> {
    return call.tool.executor.execute(call);
  }
}
