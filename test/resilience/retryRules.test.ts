import { describe, expect, it } from 'vitest';
import type { ErrorType } from '../../src/pipeline/index.js';
import { backoffDelayMs, breakerVerdict, isRetryableError } from '../../src/resilience/index.js';

const retry = { maxAttempts: 5, baseMs: 100, maxMs: 1_000 };

describe('backoffDelayMs', () => {
  it('doubles per retry up to the cap, jittered within [d/2, d)', () => {
    const low = [1, 2, 3, 4, 5].map((n) => backoffDelayMs(retry, n, () => 0));
    const high = [1, 2, 3, 4, 5].map((n) => backoffDelayMs(retry, n, () => 0.999_999));
    expect(low).toEqual([50, 100, 200, 400, 500]);
    expect(high).toEqual([99, 199, 399, 799, 999]);
  });

  it('stays finite for absurd attempt numbers', () => {
    expect(backoffDelayMs(retry, 10_000, () => 0.5)).toBe(750);
  });
});

describe('error rules', () => {
  it('retries transport errors, timeouts and an unavailable upstream, nothing else', () => {
    const all: ErrorType[] = [
      'timeout',
      'overloaded',
      'circuit_open',
      'upstream_unavailable',
      'invalid_params',
      'tool_error',
      'transport',
      'cancelled',
      'internal',
    ];
    expect(all.filter(isRetryableError)).toEqual(['timeout', 'upstream_unavailable', 'transport']);
  });

  it('a tool timing out never counts against its service breaker', () => {
    expect(breakerVerdict('service', 'timeout', true)).toBe('ignore');
    expect(breakerVerdict('tool', 'timeout', true)).toBe('failure');
  });

  it('tool errors count against the tool breaker only when configured, never against the service', () => {
    expect(breakerVerdict('tool', 'tool_error', true)).toBe('failure');
    expect(breakerVerdict('tool', 'tool_error', false)).toBe('success');
    expect(breakerVerdict('service', 'tool_error', true)).toBe('success');
  });

  it('the caller cancelling or sending bad arguments never counts against a tool', () => {
    expect(breakerVerdict('tool', 'cancelled', true)).toBe('ignore');
    expect(breakerVerdict('tool', 'invalid_params', true)).toBe('ignore');
  });
});
