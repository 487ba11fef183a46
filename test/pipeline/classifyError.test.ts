import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { classifyError, JsonRpcCode, ToolscopeError, UpstreamRpcError } from '../../src/pipeline/index.js';

describe('classifyError', () => {
  it('keeps toolscope’s own classes', () => {
    expect(classifyError(new ToolscopeError('overloaded', JsonRpcCode.ServerError, 'busy'))).toBe(
      'overloaded',
    );
  });

  it('reads JSON-RPC codes from upstream errors and from SDK errors thrown in process', () => {
    expect(classifyError(new UpstreamRpcError(-32602, 'Unknown tool'))).toBe('invalid_params');
    expect(classifyError(new McpError(-32602, 'Tool nope not found'))).toBe('invalid_params');
    expect(classifyError(new McpError(-32001, 'Request timed out'))).toBe('timeout');
    expect(classifyError(new McpError(-32603, 'boom'))).toBe('internal');
  });

  it('treats aborts as cancellations and anything else as internal', () => {
    const abort = new Error('aborted');
    abort.name = 'AbortError';
    expect(classifyError(abort)).toBe('cancelled');
    expect(classifyError(new TypeError('x is undefined'))).toBe('internal');
    expect(classifyError('a string')).toBe('internal');
  });
});
