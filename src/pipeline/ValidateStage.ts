import { SchemaValidator } from './SchemaValidator.js';
import type { CallStage, NextStage, ToolCall, ToolResult } from './ToolCall.js';

/**
 * Checks arguments against the tool's `inputSchema` before any upstream call.
 * A failure is a tool execution error (`isError: true`, SEP-1303) whose text
 * names each bad field and what was expected, so the model can correct itself.
 */
export class ValidateStage implements CallStage {
  readonly name = 'validate';
  readonly #validator: SchemaValidator;

  constructor(validator: SchemaValidator = new SchemaValidator()) {
    this.#validator = validator;
  }

  handle(call: ToolCall, next: NextStage): Promise<ToolResult> {
    const problems = this.#validator.validate(call.tool.definition.inputSchema, call.arguments);
    if (problems.length === 0) return next(call);
    call.errorType = 'invalid_params';
    const lines = problems.map((problem) => `- ${problem.field}: ${problem.expected}`);
    const text = `Invalid arguments for tool "${call.requestedName}":\n${lines.join('\n')}`;
    return Promise.resolve({ content: [{ type: 'text', text }], isError: true });
  }
}
