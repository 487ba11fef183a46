/**
 * The contract every concurrency-limit algorithm in this folder speaks: toolscope's own
 * {@link PoolController} and the baselines the benchmark compares it with. Pure objects:
 * time only arrives through the samples and `onTick(now)`, so they run in simulated time.
 */

/**
 * How a call ended, from the limiter's point of view.
 * - `success`: the tool answered (a tool-level `isError` result counts: the latency is real).
 * - `timeout`: the call exceeded its deadline while running (a congestion signal).
 * - `overloaded`: the upstream itself said it is overloaded (a congestion signal).
 * - `rejected`: our own pool refused the call (queue full or queue wait too long); it never
 *   ran, so it says nothing about the tool, only that demand exceeded the limit.
 * - `error`: any other failure (transport, bad arguments…); ignored by the limiter.
 */
export type SampleOutcome = 'success' | 'timeout' | 'overloaded' | 'rejected' | 'error';

/** One finished (or refused) call, as a limiter sees it. Times in milliseconds. */
export interface LimitSample {
  /** When the call finished, on the limiter's clock. */
  readonly time: number;
  /** Execution latency: admission to completion, excluding queue wait (0 for `rejected`). */
  readonly latencyMs: number;
  /** Time spent waiting for a pool slot. */
  readonly queueWaitMs: number;
  /** Calls of the pool already running when this one was admitted. */
  readonly inFlight: number;
  readonly outcome: SampleOutcome;
}

/** A concurrency-limit algorithm: samples and ticks in, an integer limit out. */
export interface LimitController {
  /** The limit to apply now (integer ≥ 1). */
  readonly limit: number;
  /** Feed one finished call; returns the (possibly new) limit. O(1). */
  onSample(sample: LimitSample): number;
  /** Advance the clock (window boundaries, probes, hold expiries); returns the limit. */
  onTick(now: number): number;
}
