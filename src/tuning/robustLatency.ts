/** A window's latency summary: a lower-trimmed mean and its relative standard error. */
export interface RobustLatency {
  /** Mean of the fastest (1 − trim) share of the calls, ms. */
  readonly valueMs: number;
  /** Standard error of log(value) (≈ relative standard error). */
  readonly logSe: number;
}

/**
 * Summarises latencies by the mean of the fastest (1 − `trim`) share. Dropping the slow tail
 * makes it robust to bursts of slow outliers; keeping the rest makes it move, like the mean,
 * by the whole queueing delay every call pays (so Little's law applies), with less noise than
 * any single quantile. Reorders `values` in place (a partial selection: O(n), no sort, no
 * allocation), so a window can close on the hot path.
 */
export function robustLatency(values: Float64Array, trim: number): RobustLatency {
  const n = values.length;
  if (n === 0) return { valueMs: Number.NaN, logSe: 1 };
  const kept = Math.max(1, Math.min(n, Math.ceil(n * (1 - trim))));
  if (kept < n) selectSmallest(values, kept);
  let sum = 0;
  for (let i = 0; i < kept; i++) sum += values[i]!;
  const mean = sum / kept;
  let ss = 0;
  for (let i = 0; i < kept; i++) ss += (values[i]! - mean) ** 2;
  const sd = kept > 1 ? Math.sqrt(ss / (kept - 1)) : mean;
  // Trimming shrinks the spread of the kept values; widen a little so the error is not understated.
  return { valueMs: mean, logSe: (1.2 * Math.max(sd, 0.05 * mean)) / mean / Math.sqrt(kept) };
}

/** Moves the k smallest values to the front, in any order (Hoare's quickselect, middle pivot). */
function selectSmallest(a: Float64Array, k: number): void {
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return;
  }
}
