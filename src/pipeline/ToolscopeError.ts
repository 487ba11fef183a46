import type { ErrorType } from './CallObservation.js';

/** JSON-RPC error codes toolscope answers with. */
export const JsonRpcCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** Implementation-defined server error range starts here (-32000..-32019 legacy). */
  ServerError: -32000,
  /** MCP: request timed out. */
  RequestTimeout: -32001,
} as const;

/** How bad a failure is, for alerts and logs. */
export type FailureSeverity = 'info' | 'warning' | 'error' | 'critical';

/**
 * A failure that leaves the pipeline as a JSON-RPC error. It carries a stable
 * `errorType` (spans, metrics, alerts), a JSON-RPC code and optional `data` for
 * the caller (e.g. `retryAfterMs`, `candidates`).
 */
export class ToolscopeError extends Error {
  override readonly name = 'ToolscopeError';
  constructor(
    readonly errorType: ErrorType,
    readonly code: number,
    message: string,
    readonly data?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Severity used by alerts and logs. */
  get severity(): FailureSeverity {
    return severityOf(this.errorType);
  }
}

/** An error answered by the upstream as a JSON-RPC error: forwarded to the caller unchanged. */
export class UpstreamRpcError extends Error {
  override readonly name = 'UpstreamRpcError';
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

/** Severity of each error class. */
export function severityOf(type: ErrorType): FailureSeverity {
  switch (type) {
    case 'invalid_params':
    case 'cancelled':
      return 'info';
    case 'tool_error':
    case 'overloaded':
    case 'timeout':
      return 'warning';
    case 'circuit_open':
    case 'transport':
      return 'error';
    case 'upstream_unavailable':
    case 'internal':
      return 'critical';
  }
}

/** Classify any thrown value into a stable error type. */
export function classifyError(err: unknown): ErrorType {
  if (err instanceof ToolscopeError) return err.errorType;
  if (err instanceof UpstreamRpcError) {
    if (err.code === JsonRpcCode.InvalidParams) return 'invalid_params';
    if (err.code === JsonRpcCode.RequestTimeout) return 'timeout';
    return 'internal';
  }
  if (err instanceof Error && err.name === 'AbortError') return 'cancelled';
  // Errors that carry a JSON-RPC code (the SDKs' McpError/ProtocolError from in-process handlers).
  const code = (err as { code?: unknown } | null)?.code;
  if (code === JsonRpcCode.InvalidParams) return 'invalid_params';
  if (code === JsonRpcCode.RequestTimeout) return 'timeout';
  return 'internal';
}
