/** A window's latency summary: a lower-trimmed mean and its relative standard error. */
export interface RobustLatency {
  /** Mean of the fastest (1 − trim) share of the calls, ms. */
  readonly valueMs: number;
  /** Standard error of log(value) (≈ relative standard error). */
  readonly logSe: number;
}

/**
 * Summarises sorted latencies by the mean of the fastest (1 − `trim`) share. Dropping the slow
 * tail makes it robust to bursts of slow outliers; keeping the rest makes it move, like the
 * mean, by the whole queueing delay every call pays (so Little's law applies), with less noise
 * than any single quantile.
 */
export function robustLatency(sorted: ArrayLike<number>, trim: number): RobustLatency {
  const n = sorted.length;
  const kept = Math.max(1, Math.min(n, Math.ceil(n * (1 - trim))));
  let sum = 0;
  for (let i = 0; i < kept; i++) sum += sorted[i]!;
  const mean = sum / kept;
  let ss = 0;
  for (let i = 0; i < kept; i++) ss += (sorted[i]! - mean) ** 2;
  const sd = kept > 1 ? Math.sqrt(ss / (kept - 1)) : mean;
  // Trimming shrinks the spread of the kept values; widen a little so the error is not understated.
  const logSe = n > 0 ? (1.2 * Math.max(sd, 0.05 * mean)) / mean / Math.sqrt(kept) : 1;
  return { valueMs: mean, logSe };
}
