import { diag, trace } from '@opentelemetry/api';
import { estimateJsonBytes } from '../jsonrpc/estimateJsonBytes.js';
import type { CallObservation, CallObserver } from './CallObservation.js';
import type { CallStage, NextStage, ToolCall, ToolResult } from './ToolCall.js';
import { classifyError } from './ToolscopeError.js';

/** Clocks of the observe stage (injectable for simulated time). */
export interface ObserveClock {
  /** Epoch milliseconds. */
  now(): number;
  /** Monotonic milliseconds (high resolution). */
  monotonic(): number;
}

const systemClock: ObserveClock = { now: Date.now, monotonic: () => performance.now() };

/** Options of {@link ObserveStage}. */
export interface ObserveStageOptions {
  /** @default the system clocks */
  clock?: ObserveClock;
  /**
   * Hand observations to the observers after the call's answer is on its way
   * (batched, on the next turn of the event loop) instead of before. A gateway
   * or proxy sets this so metrics, analysis and tuning stay off the caller's
   * latency; `flush()` delivers what is pending. @default false
   */
  deferred?: boolean;
}

/**
 * When a deferred stage hands an observer the call: `always` before the answer
 * leaves; `when-traced` before it only if the call's span is recorded (the
 * observer writes onto that span, which ends with the answer), else after.
 */
export type BeforeAnswer = 'always' | 'when-traced';

/**
 * Brackets the rest of the pipeline: times the call, then turns what the stages
 * learned into one `CallObservation` for every observer. Observers run
 * synchronously (or, deferred, in a batch right after the answer leaves) and must
 * be cheap; one that throws is reported once and never affects the call or the
 * other observers.
 */
export class ObserveStage implements CallStage {
  readonly name = 'observe';
  readonly #clock: ObserveClock;
  readonly #deferred: boolean;
  #observers: CallObserver[] = [];
  /** Observers that must see the call before its answer leaves (sometimes), even when the stage defers. */
  #beforeAnswer = new Map<CallObserver, BeforeAnswer>();
  readonly #failed = new WeakSet<CallObserver>();
  #pending: CallObservation[] = [];
  /** Whether each pending call's span was recorded (so `when-traced` observers already saw it). */
  #pendingTraced: boolean[] = [];
  #scheduled = false;
  readonly #deliverPending = () => this.flush();

  constructor(options: ObserveStageOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#deferred = options.deferred ?? false;
  }

  /** Delivers deferred observations now (before a stop reads or exports what was observed). */
  flush(): void {
    this.#scheduled = false;
    const batch = this.#pending;
    if (batch.length === 0) return;
    const traced = this.#pendingTraced;
    this.#pending = [];
    this.#pendingTraced = [];
    for (let i = 0; i < batch.length; i++)
      this.#deliver(batch[i] as CallObservation, 'after', traced[i] === true);
  }

  /**
   * Add an observer; returns a function that removes it. In deferred mode,
   * `beforeAnswer` says which observers still see a call before its answer leaves
   * (see {@link BeforeAnswer}); without it they see it right after.
   */
  subscribe(observer: CallObserver, options: { beforeAnswer?: BeforeAnswer } = {}): () => void {
    this.#observers = [...this.#observers, observer];
    if (options.beforeAnswer)
      this.#beforeAnswer = new Map([...this.#beforeAnswer, [observer, options.beforeAnswer]]);
    return () => {
      this.#observers = this.#observers.filter((item) => item !== observer);
      if (this.#beforeAnswer.has(observer)) {
        const rest = new Map(this.#beforeAnswer);
        rest.delete(observer);
        this.#beforeAnswer = rest;
      }
    };
  }

  async handle(call: ToolCall, next: NextStage): Promise<ToolResult> {
    const startTime = this.#clock.now();
    const start = this.#clock.monotonic();
    let result: ToolResult | undefined;
    let failure: unknown;
    try {
      result = await next(call);
      return result;
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      if (this.#observers.length > 0)
        this.#emit(call, startTime, this.#clock.monotonic() - start, result, failure);
    }
  }

  #emit(
    call: ToolCall,
    startTime: number,
    durationMs: number,
    result: ToolResult | undefined,
    failure: unknown,
  ): void {
    const failed = result === undefined;
    const toolError = !failed && result.isError === true;
    const observation: CallObservation = {
      ref: call.tool.ref,
      agent: call.agent,
      startTime,
      durationMs,
      queueWaitMs: call.queueWaitMs,
      inFlightAtStart: call.inFlightAtStart,
      inputBytes: call.inputBytes || estimateJsonBytes(call.arguments ?? {}),
      outputBytes: call.outputBytes || (result ? estimateJsonBytes(result) : 0),
      outcome: failed ? 'error' : toolError ? 'tool_error' : 'success',
      errorType: failed
        ? (call.errorType ?? classifyError(failure))
        : toolError
          ? (call.errorType ?? 'tool_error')
          : undefined,
      attempts: call.attempts,
      traceContext: call.context,
    };
    const profile = call.profile;
    if (profile) Object.assign(observation, profile);
    if (!this.#deferred) {
      this.#deliver(observation);
      return;
    }
    let traced = false;
    if (this.#beforeAnswer.size > 0) {
      const span = observation.traceContext ? trace.getSpan(observation.traceContext) : undefined;
      traced = span?.isRecording() === true;
      this.#deliver(observation, 'before', traced);
    }
    this.#pending.push(observation);
    this.#pendingTraced.push(traced);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#deliverPending);
    }
  }

  /** `before`: those due before the answer; `after`: all the others; `all`: everyone. */
  #deliver(observation: CallObservation, which: 'all' | 'before' | 'after' = 'all', traced = false): void {
    for (const observer of this.#observers) {
      if (which !== 'all') {
        const when = this.#beforeAnswer.get(observer);
        const early = when === 'always' || (when === 'when-traced' && traced);
        if (early !== (which === 'before')) continue;
      }
      try {
        observer.onObservation(observation);
      } catch (error) {
        if (!this.#failed.has(observer)) {
          this.#failed.add(observer);
          diag.error('toolscope: a call observer failed (reported once per observer)', error);
        }
      }
    }
  }
}
