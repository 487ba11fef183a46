import type { ErrorType } from '../pipeline/index.js';
import type { BreakerScope } from './CircuitBreaker.js';

/*
 * How each error class is treated by retries and breakers, in one table so spans,
 * metrics and behaviour agree on the same low-cardinality classes.
 */

/**
 * Worth another attempt (for a tool that is safe to repeat): the request may not
 * have reached the tool, or the tool may answer next time. Argument errors, tool
 * errors, open circuits, overload and cancellation are not.
 */
export function isRetryableError(type: ErrorType): boolean {
  return type === 'timeout' || type === 'transport' || type === 'upstream_unavailable';
}

/** What an outcome means to a breaker: counts against it, for it, or not at all. */
export type BreakerVerdict = 'failure' | 'success' | 'ignore';

/**
 * A service breaker only counts failures of the service itself (it cannot be
 * reached, or the connection broke), so one hanging or failing tool never cuts
 * off its healthy siblings; tool breakers handle those. A tool breaker counts
 * timeouts, connection failures and unexplained errors, and `isError` results
 * when `countToolErrors`. The caller's own mistakes and cancellations say nothing
 * about health and release the breaker's permit unrecorded.
 */
export function breakerVerdict(
  scope: BreakerScope,
  type: ErrorType,
  countToolErrors: boolean,
): BreakerVerdict {
  switch (type) {
    case 'transport':
    case 'upstream_unavailable':
      return 'failure';
    case 'timeout':
    case 'internal':
      return scope === 'tool' ? 'failure' : 'ignore';
    case 'tool_error':
      // The service answered; whether the tool is sick is the tool breaker's call.
      return scope === 'service' ? 'success' : countToolErrors ? 'failure' : 'success';
    case 'invalid_params':
      return scope === 'service' ? 'success' : 'ignore';
    case 'cancelled':
    case 'overloaded':
    case 'circuit_open':
      return 'ignore';
  }
}
