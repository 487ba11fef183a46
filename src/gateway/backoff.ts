/**
 * Exponential backoff with ±20 % jitter: `initial · 2^attempt`, capped at `max`.
 * Jitter spreads restarts of many services so they do not retry in lockstep.
 */
export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number,
): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.8 + 0.4 * random()));
}
