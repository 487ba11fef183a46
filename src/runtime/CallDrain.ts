import {
  type CallStage,
  JsonRpcCode,
  type NextStage,
  type ToolCall,
  type ToolResult,
  ToolscopeError,
} from '../pipeline/index.js';

/** How a drain ended. */
export interface DrainResult {
  /** Calls that were in flight when the drain began. */
  readonly inFlight: number;
  /** Of those, calls ended with the shutdown error because the bound ran out. */
  readonly cutOff: number;
  /** How long the drain took, ms. */
  readonly durationMs: number;
}

/**
 * The `drain` stage: lets the calls in flight finish when toolscope stops, and
 * refuses new ones meanwhile. A stop that killed the upstreams at once would
 * leave callers with a dropped connection instead of their answer, and the
 * analyzer's snapshot and the last spans would miss those calls.
 *
 * The wait is bounded: a call still running when the bound runs out is answered
 * with an error (so its caller hears something rather than nothing) and the stop
 * goes on; the upstream is told when the gateway stops it.
 *
 * Refused and cut-off calls are both `cancelled` (with `data.reason:
 * "shutting_down"`): the class the analyzer and the alert rules ignore, so a
 * shutdown neither teaches a tool's baseline that it fails nor fires an
 * error-rate alert on its way out.
 */
export class CallDrain implements CallStage {
  readonly name = 'drain';
  /** Rejecters of the calls in flight (to answer them if the bound runs out). */
  readonly #inFlight = new Set<(error: unknown) => void>();
  #draining = false;
  #idle: (() => void) | undefined;

  /** Whether a drain has begun (new calls are refused). */
  get draining(): boolean {
    return this.#draining;
  }

  /** Calls running now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  handle(call: ToolCall, next: NextStage): Promise<ToolResult> {
    if (this.#draining) return Promise.reject(refusedError(call.tool.ref.key));
    return new Promise<ToolResult>((resolve, reject) => {
      this.#inFlight.add(reject);
      const done = () => {
        this.#inFlight.delete(reject);
        if (this.#inFlight.size === 0) this.#idle?.();
      };
      next(call).then(
        (result) => {
          done();
          resolve(result);
        },
        (error: unknown) => {
          done();
          reject(error);
        },
      );
    });
  }

  /**
   * Refuse new calls from now on and wait up to `timeoutMs` for the calls in
   * flight; those still running then are answered with the shutdown error.
   * Resolves once every caller has its answer on the way.
   */
  async drain(timeoutMs: number): Promise<DrainResult> {
    this.#draining = true;
    const started = performance.now();
    const inFlight = this.#inFlight.size;
    let cutOff = 0;
    if (inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#idle = resolve;
        timer = setTimeout(resolve, timeoutMs);
      });
      clearTimeout(timer);
      this.#idle = undefined;
      const error = cutOffError(timeoutMs);
      for (const reject of this.#inFlight) {
        cutOff++;
        reject(error);
      }
      this.#inFlight.clear();
    }
    // The answers leave through promise reactions (observe stage, session, transport):
    // let them run before anything closes the sessions under them.
    await new Promise((resolve) => setImmediate(resolve));
    return { inFlight, cutOff, durationMs: performance.now() - started };
  }
}

function refusedError(toolKey: string): ToolscopeError {
  return new ToolscopeError(
    'cancelled',
    JsonRpcCode.ServerError,
    `Tool "${toolKey}" was not called: toolscope is shutting down and accepts no new calls. Retry against a running instance.`,
    { errorType: 'cancelled', reason: 'shutting_down' },
  );
}

function cutOffError(timeoutMs: number): ToolscopeError {
  return new ToolscopeError(
    'cancelled',
    JsonRpcCode.ServerError,
    `toolscope is shutting down: the call did not finish within the ${timeoutMs} ms shutdown timeout and was abandoned; it may or may not have completed upstream.`,
    { errorType: 'cancelled', reason: 'shutting_down', timeoutMs },
  );
}
