import { JsonRpcCode, ToolscopeError } from '../pipeline/index.js';

/**
 * The errors execution control answers with. Each names the tool, says what
 * happened and, where waiting helps, for how long to back off (`retryAfterMs` in
 * `data`, also in the message for agents that only read text). `data.errorType`
 * repeats the stable class so callers need not parse messages.
 */

/** Why a call was refused as overloaded. */
export type OverloadReason = 'queue_full' | 'queue_timeout';

/** The pool refused the call: its queue is full, or the wait exceeded the queue-time limit. */
export function overloadedError(
  toolKey: string,
  poolId: string,
  reason: OverloadReason,
  retryAfterMs: number,
  limit: number,
  queued: number,
): ToolscopeError {
  const what =
    reason === 'queue_full'
      ? `${queued} calls are already waiting for pool "${poolId}" (limit ${limit} at a time)`
      : `no slot in pool "${poolId}" (limit ${limit} at a time) freed up within the queue-time limit`;
  return new ToolscopeError(
    'overloaded',
    JsonRpcCode.ServerError,
    `Tool "${toolKey}" is overloaded: ${what}. Back off for ${retryAfterMs} ms before retrying.`,
    { errorType: 'overloaded', reason, pool: poolId, retryAfterMs },
  );
}

/** A circuit breaker is open: the call was not sent. */
export function circuitOpenError(
  toolKey: string,
  breakerId: string,
  scope: 'service' | 'tool',
  retryAfterMs: number,
): ToolscopeError {
  const whose = scope === 'service' ? `service "${breakerId}"` : `tool "${breakerId}"`;
  return new ToolscopeError(
    'circuit_open',
    JsonRpcCode.ServerError,
    `Tool "${toolKey}" is unavailable: the circuit breaker of ${whose} is open after repeated failures, ` +
      `so the call was not sent. Retry after ${retryAfterMs} ms.`,
    { errorType: 'circuit_open', breaker: breakerId, scope, retryAfterMs },
  );
}

/** One attempt ran longer than the tool's timeout; the upstream was told to cancel it. */
export function timeoutError(toolKey: string, timeoutMs: number): ToolscopeError {
  return new ToolscopeError(
    'timeout',
    JsonRpcCode.RequestTimeout,
    `Tool "${toolKey}" timed out after ${timeoutMs} ms; the request was cancelled upstream.`,
    { errorType: 'timeout', timeoutMs },
  );
}

/** The caller cancelled (or disconnected) while the call waited, ran or backed off. */
export function cancelledError(toolKey: string): ToolscopeError {
  return new ToolscopeError(
    'cancelled',
    JsonRpcCode.ServerError,
    `Call to tool "${toolKey}" was cancelled by the caller.`,
    {
      errorType: 'cancelled',
    },
  );
}
