import type { TuningDecisionRecord } from './StatusHost.js';

/**
 * Each pool's limit at the end of every bucket of a series, rebuilt from the
 * tuner's applied decisions (a step function), so the chart needs no sampling
 * timer: before a pool's first decision its limit is that decision's previous
 * limit; without decisions, the current limit throughout.
 *
 * @param t bucket starts, epoch seconds, ascending
 * @param bucketMs bucket width
 * @param current pool id → limit now
 * @param decisions oldest first
 */
export function poolLimitSeries(
  t: readonly number[],
  bucketMs: number,
  current: ReadonlyMap<string, number>,
  decisions: readonly TuningDecisionRecord[],
): Record<string, Array<number | null>> {
  const byPool = new Map<string, TuningDecisionRecord[]>();
  for (const decision of decisions) {
    if (!decision.applied || decision.newLimit === decision.previousLimit) continue;
    const list = byPool.get(decision.poolId);
    if (list) list.push(decision);
    else byPool.set(decision.poolId, [decision]);
  }
  const out: Record<string, Array<number | null>> = {};
  for (const [poolId, limit] of current) {
    const steps = (byPool.get(poolId) ?? []).slice().sort((a, b) => a.time - b.time);
    const values: Array<number | null> = [];
    let next = 0;
    let value = steps[0]?.previousLimit ?? limit;
    for (const start of t) {
      const end = start * 1000 + bucketMs;
      while (next < steps.length && steps[next]!.time < end) value = steps[next++]!.newLimit;
      values.push(value);
    }
    out[poolId] = values;
  }
  return out;
}
