import {
  type CallStage,
  classifyError,
  type ErrorType,
  type NextStage,
  type ResolvedTool,
  type ToolCall,
  type ToolRef,
  type ToolResult,
  type ToolscopeError,
} from '../pipeline/index.js';
import { abortableDelay } from './abortableDelay.js';
import { backoffDelayMs } from './backoff.js';
import { type BreakerPermit, type CircuitBreaker, PERMIT_DENIED } from './CircuitBreaker.js';
import { type Clock, systemClock } from './Clock.js';
import { breakerVerdict, isRetryableError } from './errorRules.js';
import { cancelledError, circuitOpenError } from './executionErrors.js';
import { Listeners } from './Listeners.js';
import type { PolicyResolver, ToolPolicy } from './PolicyResolver.js';
import { runAttempt } from './runAttempt.js';

/** `call.extensions` key: the "service/tool" key of the fallback that answered the call. */
export const FALLBACK_EXTENSION = 'toolscope.fallback' as const;

/** A retry about to happen (after `delayMs`), for span events and the retry counter. */
export interface RetryEvent {
  /** The caller's call (its `context` carries the span). */
  readonly call: ToolCall;
  /** The tool being retried (the fallback's, when the fallback is retried). */
  readonly tool: ToolRef;
  /** Number of the attempt about to start (2 for the first retry). */
  readonly attempt: number;
  readonly delayMs: number;
  /** Why the previous attempt failed. */
  readonly errorType: ErrorType;
}

/** A call handed to its fallback tool. */
export interface FallbackEvent {
  readonly call: ToolCall;
  readonly from: ToolRef;
  readonly to: ToolRef;
  /** Why the original tool could not serve: `circuit_open` or `upstream_unavailable`. */
  readonly errorType: ErrorType;
}

/** How a {@link GuardStage} is set up. */
export interface GuardStageOptions {
  readonly policies: PolicyResolver;
  /** Timeouts and backoff delays. @default systemClock */
  readonly clock?: Clock;
  /** Backoff jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
  /**
   * Finds a fallback tool by its "service/tool" key (the gateway's name table);
   * `undefined` when it is not (or no longer) available. Without it, no fallbacks.
   */
  readonly resolveFallback?: (toolKey: string) => ResolvedTool | undefined;
}

/**
 * The `guard` stage: circuit breakers, per-attempt timeouts with upstream
 * cancellation, retries where safe, and fallback.
 *
 * **Attempt-signal convention.** Each attempt goes on to `next` as a derived call,
 * `{ ...call, signal: attemptSignal }`: the same call with its own AbortSignal,
 * aborted when the attempt times out or the caller cancels (`signal.reason` is
 * the `timeout`/`cancelled` ToolscopeError). Executors must pass
 * `call.signal` to the upstream request so the abort goes out as
 * `notifications/cancelled`. Stages after guard write on the derived call;
 * `profile`, `inputBytes` and `outputBytes` are copied back to the caller's call
 * when the attempt settles, and `extensions` is shared. A fallback attempt's
 * derived call also carries the fallback's `tool` and `params.name`.
 *
 * **Per call:** both breakers of the tool (service, then tool) must admit it,
 * else it fails fast with `circuit_open` — or goes to the tool's configured
 * fallback. Each attempt has the tool's `timeoutMs`. A failed attempt is retried
 * with exponential backoff and jitter only if the tool is retryable (annotated
 * read-only or idempotent, or config says so) and the failure is `timeout`,
 * `transport` or `upstream_unavailable`; never otherwise. Every outcome is
 * recorded on both breakers according to `breakerVerdict`. A call that fails
 * with `upstream_unavailable` after its retries (service down, restarting, or
 * gone mid-call) also goes to the fallback; a service that died mid-call may have
 * started the work, so give non-idempotent tools a fallback only if a repeat is
 * acceptable. A fallback has its own timeout, breakers and retries, runs under the
 * slot admit took for the original tool, and has no fallback of its own.
 *
 * Writes `call.attempts` (attempts dispatched, fallback included; at least 1) and
 * `call.errorType` on failure.
 */
export class GuardStage implements CallStage {
  readonly name = 'guard';
  readonly #policies: PolicyResolver;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #resolveFallback: ((toolKey: string) => ResolvedTool | undefined) | undefined;
  readonly #retries = new Listeners<RetryEvent>();
  readonly #fallbacks = new Listeners<FallbackEvent>();

  constructor(options: GuardStageOptions) {
    this.#policies = options.policies;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#resolveFallback = options.resolveFallback;
  }

  /** Subscribes to retries (span events, `toolscope.call.retries`); returns the unsubscribe function. */
  onRetry(listener: (event: RetryEvent) => void): () => void {
    return this.#retries.add(listener);
  }

  /** Subscribes to fallbacks; returns the unsubscribe function. */
  onFallback(listener: (event: FallbackEvent) => void): () => void {
    return this.#fallbacks.add(listener);
  }

  async handle(call: ToolCall, next: NextStage): Promise<ToolResult> {
    call.attempts = 0;
    try {
      return await this.#run(call, call, this.#policies.policyFor(call.tool), next, true);
    } catch (error) {
      call.errorType = classifyError(error);
      throw error;
    } finally {
      // A call refused before any attempt still counts as one, like a call refused by admit.
      if (call.attempts === 0) call.attempts = 1;
    }
  }

  /** Attempts `base` (the call, or its fallback version) until it succeeds or may not try again. */
  async #run(
    target: ToolCall,
    base: ToolCall,
    policy: ToolPolicy,
    next: NextStage,
    mayFallBack: boolean,
  ): Promise<ToolResult> {
    const { settings, serviceBreaker, toolBreaker } = policy;
    for (let attempt = 1; ; attempt++) {
      const servicePermit = serviceBreaker.tryAcquire();
      if (servicePermit === PERMIT_DENIED) {
        return this.#fallBack(target, policy, next, mayFallBack, openError(settings.ref.key, serviceBreaker));
      }
      const toolPermit = toolBreaker.tryAcquire();
      if (toolPermit === PERMIT_DENIED) {
        serviceBreaker.release(servicePermit);
        return this.#fallBack(target, policy, next, mayFallBack, openError(settings.ref.key, toolBreaker));
      }
      target.attempts++;
      let result: ToolResult;
      try {
        result = await runAttempt(target, base, next, settings.timeoutMs, this.#clock);
      } catch (error) {
        const type = classifyError(error);
        record(serviceBreaker, servicePermit, toolBreaker, toolPermit, type, settings.countToolErrors);
        if (
          settings.retryable &&
          attempt < settings.retry.maxAttempts &&
          isRetryableError(type) &&
          !target.signal.aborted
        ) {
          const delayMs = backoffDelayMs(settings.retry, attempt, this.#random);
          if (this.#retries.size > 0) {
            this.#retries.emit({
              call: target,
              tool: settings.ref,
              attempt: attempt + 1,
              delayMs,
              errorType: type,
            });
          }
          await abortableDelay(this.#clock, delayMs, target.signal, () => cancelledError(settings.ref.key));
          continue;
        }
        if (type === 'upstream_unavailable') return this.#fallBack(target, policy, next, mayFallBack, error);
        throw error;
      }
      const type: ErrorType | undefined = result.isError === true ? 'tool_error' : undefined;
      if (type === undefined) {
        serviceBreaker.success(servicePermit);
        toolBreaker.success(toolPermit);
      } else {
        record(serviceBreaker, servicePermit, toolBreaker, toolPermit, type, settings.countToolErrors);
      }
      return result;
    }
  }

  /** Hands the call to the tool's fallback, or throws `error` when there is none. */
  #fallBack(
    target: ToolCall,
    policy: ToolPolicy,
    next: NextStage,
    mayFallBack: boolean,
    error: unknown,
  ): Promise<ToolResult> {
    const key = policy.settings.fallback;
    if (!mayFallBack || key === undefined || this.#resolveFallback === undefined)
      return Promise.reject(error);
    const tool = this.#resolveFallback(key);
    if (tool === undefined) return Promise.reject(error);
    target.extensions[FALLBACK_EXTENSION] = tool.ref.key;
    if (this.#fallbacks.size > 0) {
      this.#fallbacks.emit({
        call: target,
        from: policy.settings.ref,
        to: tool.ref,
        errorType: classifyError(error),
      });
    }
    const base: ToolCall = { ...target, tool, params: { ...target.params, name: tool.definition.name } };
    return this.#run(target, base, this.#policies.policyFor(tool), next, false);
  }
}

function openError(toolKey: string, breaker: CircuitBreaker): ToolscopeError {
  return circuitOpenError(toolKey, breaker.id, breaker.scope, breaker.retryAfterMs());
}

function record(
  serviceBreaker: CircuitBreaker,
  servicePermit: BreakerPermit,
  toolBreaker: CircuitBreaker,
  toolPermit: BreakerPermit,
  type: ErrorType,
  countToolErrors: boolean,
): void {
  apply(serviceBreaker, servicePermit, breakerVerdict('service', type, countToolErrors));
  apply(toolBreaker, toolPermit, breakerVerdict('tool', type, countToolErrors));
}

function apply(
  breaker: CircuitBreaker,
  permit: BreakerPermit,
  verdict: 'failure' | 'success' | 'ignore',
): void {
  if (verdict === 'failure') breaker.failure(permit);
  else if (verdict === 'success') breaker.success(permit);
  else breaker.release(permit);
}
