import { describe, expect, it } from 'vitest';
import {
  type ResolvedTool,
  type ToolCall,
  type ToolResult,
  ToolscopeError,
} from '../../src/pipeline/index.js';
import {
  createExecutionControl,
  FALLBACK_EXTENSION,
  type ResilienceConfigInput,
  type RetryEvent,
  resilienceConfigSchema,
} from '../../src/resilience/index.js';
import { type Deferred, deferred, makeCall, ok, tool, toolError } from './fixtures.js';
import { ManualClock } from './ManualClock.js';

const transport = () => new ToolscopeError('transport', -32000, 'connection closed');
const unavailable = () => new ToolscopeError('upstream_unavailable', -32000, 'service is restarting');
const invalid = () => new ToolscopeError('invalid_params', -32602, 'bad arguments');

interface Attempt {
  readonly call: ToolCall;
  readonly result: Deferred<ToolResult>;
}

/** A scripted executor: every attempt waits until the test settles it. */
function setup(input: ResilienceConfigInput = {}, tools: ResolvedTool[] = []) {
  const clock = new ManualClock();
  const byKey = new Map(tools.map((t) => [t.ref.key, t]));
  const control = createExecutionControl(resilienceConfigSchema.parse(input), {
    clock,
    random: () => 0,
    resolveFallback: (key) => byKey.get(key),
  });
  const attempts: Attempt[] = [];
  const next = (call: ToolCall) => {
    const result = deferred<ToolResult>();
    attempts.push({ call, result });
    return result.promise;
  };
  const retries: RetryEvent[] = [];
  control.guard.onRetry((e) => retries.push(e));
  return { clock, control, attempts, next, retries };
}

const readOnly = tool('svc', 'read', { readOnlyHint: true });
const write = tool('svc', 'write', { readOnlyHint: false, idempotentHint: false, destructiveHint: false });

describe('GuardStage', () => {
  it('gives each attempt its own signal and passes the result through', async () => {
    const { control, attempts, next } = setup();
    const call = makeCall(readOnly);
    const pending = control.guard.handle(call, next);
    expect(attempts).toHaveLength(1);
    const attempt = attempts[0]!.call;
    expect(attempt.signal).not.toBe(call.signal);
    expect(attempt.tool).toBe(call.tool);
    attempt.profile = { cpuUserMicros: 42 };
    attempts[0]!.result.resolve(ok);
    await expect(pending).resolves.toBe(ok);
    expect(attempt.signal.aborted).toBe(false);
    expect(call.attempts).toBe(1);
    expect(call.profile).toEqual({ cpuUserMicros: 42 });
  });

  it('on timeout aborts the attempt signal (cancelling upstream) and answers a timeout error at the deadline', async () => {
    const { clock, control, attempts, next } = setup({ tools: { 'svc/write': { timeoutMs: 1_000 } } });
    const call = makeCall(write);
    const outcome = control.guard.handle(call, next).catch((e: unknown) => e);
    await clock.advance(999);
    expect(attempts[0]!.call.signal.aborted).toBe(false);
    await clock.advance(1);
    const signal = attempts[0]!.call.signal;
    expect(signal.aborted).toBe(true);
    expect((signal.reason as ToolscopeError).errorType).toBe('timeout');
    const error = (await outcome) as ToolscopeError;
    expect(error.errorType).toBe('timeout');
    expect(error.message).toContain('timed out after 1000 ms');
    expect(call.errorType).toBe('timeout');
    // The executor never answered; its late answer changes nothing.
    attempts[0]!.result.resolve(ok);
    expect(clock.pending).toBe(0);
  });

  it('forwards the caller cancelling to the attempt signal', async () => {
    const { control, attempts, next } = setup();
    const caller = new AbortController();
    const call = makeCall(write, { signal: caller.signal });
    const outcome = control.guard.handle(call, next).catch((e: unknown) => e);
    caller.abort();
    expect(attempts[0]!.call.signal.aborted).toBe(true);
    expect(((await outcome) as ToolscopeError).errorType).toBe('cancelled');
    expect(call.errorType).toBe('cancelled');
  });

  it('never retries a tool that is not idempotent', async () => {
    const { control, attempts, next, retries } = setup();
    const outcome = control.guard.handle(makeCall(write), next).catch((e: unknown) => e);
    attempts[0]!.result.reject(transport());
    expect(((await outcome) as ToolscopeError).errorType).toBe('transport');
    expect(attempts).toHaveLength(1);
    expect(retries).toHaveLength(0);
  });

  it('retries a read-only tool on transport errors and timeouts with growing backoff, reporting each retry', async () => {
    const { clock, control, attempts, next, retries } = setup({
      defaults: { retry: { maxAttempts: 3, baseMs: 100, maxMs: 1_000 } },
      tools: { 'svc/read': { timeoutMs: 500 } },
    });
    const call = makeCall(readOnly);
    const pending = control.guard.handle(call, next);
    attempts[0]!.result.reject(transport());
    await clock.advance(49);
    expect(attempts).toHaveLength(1); // backoff: 100 ms with half jitter at random 0 → 50 ms
    await clock.advance(1);
    expect(attempts).toHaveLength(2);
    await clock.advance(500); // attempt 2 times out
    expect(attempts[1]!.call.signal.aborted).toBe(true);
    await clock.advance(100); // second backoff: 200 → 100 ms
    expect(attempts).toHaveLength(3);
    attempts[2]!.result.resolve(ok);
    await expect(pending).resolves.toBe(ok);
    expect(call.attempts).toBe(3);
    expect(retries.map((r) => [r.attempt, r.delayMs, r.errorType])).toEqual([
      [2, 50, 'transport'],
      [3, 100, 'timeout'],
    ]);
    expect(retries[0]!.call).toBe(call);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const { clock, control, attempts, next } = setup({ defaults: { retry: { maxAttempts: 2 } } });
    const outcome = control.guard.handle(makeCall(readOnly), next).catch((e: unknown) => e);
    attempts[0]!.result.reject(transport());
    await clock.advance(10_000);
    attempts[1]!.result.reject(transport());
    expect(((await outcome) as ToolscopeError).errorType).toBe('transport');
    expect(attempts).toHaveLength(2);
  });

  it('does not retry argument errors or tool errors, even for a read-only tool', async () => {
    const { control, attempts, next } = setup();
    const first = control.guard.handle(makeCall(readOnly), next).catch((e: unknown) => e);
    attempts[0]!.result.reject(invalid());
    expect(((await first) as ToolscopeError).errorType).toBe('invalid_params');
    const second = control.guard.handle(makeCall(readOnly), next);
    attempts[1]!.result.resolve(toolError);
    await expect(second).resolves.toBe(toolError);
    expect(attempts).toHaveLength(2);
  });

  it('a caller who cancels during a backoff is answered at once, without another attempt', async () => {
    const { clock, control, attempts, next } = setup({
      defaults: { retry: { baseMs: 10_000, maxMs: 10_000 } },
    });
    const caller = new AbortController();
    const outcome = control.guard
      .handle(makeCall(readOnly, { signal: caller.signal }), next)
      .catch((e: unknown) => e);
    attempts[0]!.result.reject(transport());
    await clock.advance(100);
    caller.abort();
    expect(((await outcome) as ToolscopeError).errorType).toBe('cancelled');
    await clock.advance(20_000);
    expect(attempts).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  it('opens the tool breaker after repeated failures, then fails fast with circuit_open without calling the tool', async () => {
    const { control, attempts, next } = setup({ defaults: { breaker: { consecutiveFailures: 2 } } });
    for (let i = 0; i < 2; i++) {
      const p = control.guard.handle(makeCall(write), next);
      attempts[i]!.result.resolve(toolError);
      await p;
    }
    const call = makeCall(write);
    const error = (await control.guard.handle(call, next).catch((e: unknown) => e)) as ToolscopeError;
    expect(error.errorType).toBe('circuit_open');
    expect(error.message).toMatch(/circuit breaker of tool "svc\/write" is open/);
    expect(error.data?.retryAfterMs).toBe(15_000);
    expect(attempts).toHaveLength(2);
    expect(call.attempts).toBe(1);
    expect(control.breakers.forTool(write.ref).state).toBe('open');
  });

  it('recovers: after the cool-down one trial call goes through and its success closes the breaker', async () => {
    const { clock, control, attempts, next } = setup({
      defaults: { breaker: { consecutiveFailures: 1, cooldownMs: 1_000 } },
    });
    const p = control.guard.handle(makeCall(write), next);
    attempts[0]!.result.resolve(toolError);
    await p;
    await expect(control.guard.handle(makeCall(write), next)).rejects.toMatchObject({
      errorType: 'circuit_open',
    });
    await clock.advance(1_000);
    const trial = control.guard.handle(makeCall(write), next);
    // Only one trial at a time: a concurrent call fails fast instead of waiting behind it.
    await expect(control.guard.handle(makeCall(write), next)).rejects.toMatchObject({
      errorType: 'circuit_open',
    });
    attempts[1]!.result.resolve(ok);
    await trial;
    expect(control.breakers.forTool(write.ref).state).toBe('closed');
  });

  it('a hanging tool does not open its service breaker: the other tools keep working', async () => {
    const hang = tool('svc', 'hang');
    const { clock, control, attempts, next } = setup({
      defaults: { timeoutMs: 100, breaker: { consecutiveFailures: 2 } },
    });
    for (let i = 0; i < 3; i++) {
      const p = control.guard.handle(makeCall(hang), next).catch(() => undefined);
      await clock.advance(100);
      await p;
    }
    expect(control.breakers.forTool(hang.ref).state).toBe('open');
    expect(control.breakers.forService('svc').state).toBe('closed');
    const other = control.guard.handle(makeCall(write), next);
    attempts.at(-1)!.result.resolve(ok);
    await expect(other).resolves.toBe(ok);
  });

  it('the service breaker opens on connection failures and stops every tool of the service', async () => {
    const { control, attempts, next } = setup({ defaults: { breaker: { consecutiveFailures: 2 } } });
    for (let i = 0; i < 2; i++) {
      const p = control.guard.handle(makeCall(tool('svc', `t${i}`)), next).catch(() => undefined);
      attempts[i]!.result.reject(transport());
      await p;
    }
    const error = (await control.guard
      .handle(makeCall(readOnly), next)
      .catch((e: unknown) => e)) as ToolscopeError;
    expect(error.errorType).toBe('circuit_open');
    expect(error.data).toMatchObject({ scope: 'service', breaker: 'svc' });
  });

  it('stops retrying once the breaker opens mid-way', async () => {
    const { clock, control, attempts, next } = setup({
      defaults: { retry: { maxAttempts: 5 }, breaker: { consecutiveFailures: 2 } },
    });
    const outcome = control.guard.handle(makeCall(readOnly), next).catch((e: unknown) => e);
    attempts[0]!.result.reject(transport());
    await clock.advance(10_000);
    attempts[1]!.result.reject(transport());
    await clock.advance(10_000);
    expect(((await outcome) as ToolscopeError).errorType).toBe('circuit_open');
    expect(attempts).toHaveLength(2);
  });

  it('goes to the configured fallback tool while the breaker is open', async () => {
    const backup = tool('mirror', 'read-backup', { readOnlyHint: true });
    const { control, attempts, next } = setup(
      {
        defaults: { breaker: { consecutiveFailures: 1 } },
        tools: { 'svc/write': { fallback: 'mirror/read-backup' } },
      },
      [backup],
    );
    const first = control.guard.handle(makeCall(write), next);
    attempts[0]!.result.resolve(toolError);
    await first;
    const fallbacks: string[] = [];
    control.guard.onFallback((e) => fallbacks.push(`${e.from.key}->${e.to.key}:${e.errorType}`));
    const call = makeCall(write);
    const pending = control.guard.handle(call, next);
    expect(attempts).toHaveLength(2);
    const fallbackAttempt = attempts[1]!.call;
    expect(fallbackAttempt.tool).toBe(backup);
    expect(fallbackAttempt.params.name).toBe('read-backup');
    attempts[1]!.result.resolve(ok);
    await expect(pending).resolves.toBe(ok);
    expect(call.tool).toBe(write); // the caller's call still names the tool asked for
    expect(call.extensions[FALLBACK_EXTENSION]).toBe('mirror/read-backup');
    expect(call.errorType).toBeUndefined();
    expect(fallbacks).toEqual(['svc/write->mirror/read-backup:circuit_open']);
  });

  it('goes to the fallback when the upstream is unavailable, but not after a failure that may have run the tool', async () => {
    const backup = tool('mirror', 'b');
    const { clock, control, attempts, next } = setup({ tools: { 'svc/write': { fallback: 'mirror/b' } } }, [
      backup,
    ]);
    const first = control.guard.handle(makeCall(write), next);
    attempts[0]!.result.reject(unavailable());
    await clock.advance(0);
    expect(attempts).toHaveLength(2);
    attempts[1]!.result.resolve(ok);
    await expect(first).resolves.toBe(ok);
    const second = control.guard.handle(makeCall(write), next).catch((e: unknown) => e);
    attempts[2]!.result.reject(transport());
    expect(((await second) as ToolscopeError).errorType).toBe('transport');
    expect(attempts).toHaveLength(3);
  });

  it('without a fallback resolver or a known fallback, the open-circuit error stands', async () => {
    const { control, attempts, next } = setup({
      defaults: { breaker: { consecutiveFailures: 1 } },
      tools: { 'svc/write': { fallback: 'gone/tool' } },
    });
    const p = control.guard.handle(makeCall(write), next);
    attempts[0]!.result.resolve(toolError);
    await p;
    await expect(control.guard.handle(makeCall(write), next)).rejects.toMatchObject({
      errorType: 'circuit_open',
    });
  });
});
