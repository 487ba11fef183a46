import {
  type CallStage,
  classifyError,
  type NextStage,
  type ToolCall,
  type ToolResult,
} from '../pipeline/index.js';
import { type Clock, systemClock } from './Clock.js';
import type { PolicyResolver } from './PolicyResolver.js';

/** How an {@link AdmitStage} is set up. */
export interface AdmitStageOptions {
  readonly policies: PolicyResolver;
  /** Measures queue wait and slot-hold time. @default systemClock */
  readonly clock?: Clock;
}

/**
 * The `admit` stage: takes a slot in the tool's pool before the call goes on,
 * waiting in the pool's priority queue when it is full, and gives the slot back
 * when the rest of the pipeline is done (retries and fallbacks included).
 *
 * Writes `call.queueWaitMs` and `call.inFlightAtStart` (calls of the same pool
 * already running when this one got its slot). Refused calls reject with an
 * `overloaded` `ToolscopeError` (`data.retryAfterMs` says how long to back off),
 * or `cancelled` when the caller gives up while waiting; `call.errorType` is set.
 * A free slot costs no allocation beyond the stage's own promise.
 */
export class AdmitStage implements CallStage {
  readonly name = 'admit';
  readonly #policies: PolicyResolver;
  readonly #clock: Clock;

  constructor(options: AdmitStageOptions) {
    this.#policies = options.policies;
    this.#clock = options.clock ?? systemClock;
  }

  async handle(call: ToolCall, next: NextStage): Promise<ToolResult> {
    const policy = this.#policies.policyFor(call.tool);
    const pool = policy.pool;
    const clock = this.#clock;
    let start: number;
    if (pool.tryAcquire()) {
      start = clock.now();
      call.queueWaitMs = 0;
    } else {
      const queuedAt = clock.now();
      try {
        await pool.acquire(call.tool.ref.key, this.#policies.priorityOf(policy, call.agent), call.signal);
      } catch (error) {
        call.queueWaitMs = clock.now() - queuedAt;
        call.errorType = classifyError(error);
        throw error;
      }
      start = clock.now();
      call.queueWaitMs = start - queuedAt;
    }
    call.inFlightAtStart = pool.inFlight - 1;
    try {
      return await next(call);
    } finally {
      pool.release(clock.now() - start);
    }
  }
}
