import { Cancellation } from '../jsonrpc/Cancellation.js';
import type { NextStage, ToolCall, ToolResult } from '../pipeline/index.js';
import type { Clock, TimerHandle } from './Clock.js';
import { cancelledError, timeoutError } from './executionErrors.js';

/**
 * One attempt of a call: its own AbortSignal, aborted on timeout or when the
 * caller cancels, and a settle-once promise so the caller gets the timeout error
 * at the deadline even if the executor never returns.
 */
class Attempt {
  timer: TimerHandle | undefined = undefined;
  settled = false;
  resolve!: (result: ToolResult) => void;
  reject!: (error: unknown) => void;

  constructor(
    readonly clock: Clock,
    readonly target: ToolCall,
    readonly attemptCall: ToolCall,
    readonly controller: Cancellation,
    readonly toolKey: string,
    readonly timeoutMs: number,
  ) {}

  /** The caller's signal aborted (an `EventListener` object, so no closure). */
  handleEvent(): void {
    this.abort(cancelledError(this.toolKey));
  }

  readonly succeeded = (result: ToolResult): void => {
    if (this.#settle()) this.resolve(result);
  };

  readonly failed = (error: unknown): void => {
    if (this.#settle()) this.reject(error);
  };

  /** Ends the attempt with `error` and aborts its signal, which cancels the request upstream. */
  abort(error: unknown): void {
    if (!this.#settle()) return;
    this.controller.abort(error);
    this.reject(error);
  }

  #settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.target.signal.removeEventListener('abort', this);
    copyBack(this.attemptCall, this.target);
    return true;
  }
}

function timedOut(attempt: Attempt): void {
  attempt.timer = undefined;
  attempt.abort(timeoutError(attempt.toolKey, attempt.timeoutMs));
}

/**
 * Fields the stages after guard (profiling, execute) write on the attempt call,
 * copied back to the caller's call when the attempt settles. `extensions` is the
 * same object on both, so writes there need no copying.
 */
function copyBack(from: ToolCall, to: ToolCall): void {
  to.profile = from.profile;
  to.inputBytes = from.inputBytes;
  to.outputBytes = from.outputBytes;
}

/**
 * Runs one attempt of `base` through `next` with a derived call whose `signal`
 * belongs to this attempt alone: it aborts (reason: the timeout or cancelled
 * `ToolscopeError`) when `timeoutMs` elapses or `target.signal` (the caller's)
 * aborts. Executors forward that abort upstream as `notifications/cancelled`.
 * The promise settles once: with the result, the executor's error, a `timeout`
 * error at the deadline, or a `cancelled` error when the caller gives up.
 */
export function runAttempt(
  target: ToolCall,
  base: ToolCall,
  next: NextStage,
  timeoutMs: number,
  clock: Clock,
): Promise<ToolResult> {
  const toolKey = base.tool.ref.key;
  if (target.signal.aborted) return Promise.reject(cancelledError(toolKey));
  // A light cancellation, not an EventTarget: this runs for every attempt of every call.
  const controller = new Cancellation();
  const attemptCall: ToolCall = { ...base, signal: controller.signal };
  const attempt = new Attempt(clock, target, attemptCall, controller, toolKey, timeoutMs);
  const promise = new Promise<ToolResult>((resolve, reject) => {
    attempt.resolve = resolve;
    attempt.reject = reject;
  });
  attempt.timer = clock.setTimer(timedOut, timeoutMs, attempt);
  target.signal.addEventListener('abort', attempt);
  let pending: Promise<ToolResult>;
  try {
    pending = next(attemptCall);
  } catch (error) {
    // A stage that throws synchronously instead of rejecting: same outcome.
    attempt.failed(error);
    return promise;
  }
  pending.then(attempt.succeeded, attempt.failed);
  return promise;
}
