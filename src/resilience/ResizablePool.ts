/**
 * The face of a concurrency pool that the tuner sees: it can read the pool's
 * state and change its limit at run time. Resizing never drops or reorders
 * queued calls; shrinking lets running calls finish and admits no more until
 * in-flight falls below the new limit.
 */
export interface ResizablePool {
  /** Stable id, e.g. `service` or `service/tool` for a per-tool override pool. */
  readonly id: string;
  /** Current concurrency limit (≥ 1). */
  readonly limit: number;
  /** Calls running now. */
  readonly inFlight: number;
  /** Calls waiting for a slot. */
  readonly queued: number;
  /** Change the limit; values are clamped to ≥ 1 and rounded down. */
  setLimit(limit: number): void;
}
