/** Error counts in the latest `window` calls that open and keep an error episode. */
export interface ErrorThresholds {
  readonly enter: number;
  readonly exit: number;
}

/**
 * The smallest error count in a window of `window` calls that is both unlikely
 * under the baseline rate `p` (binomial upper tail ≤ `falseAlarm`) and material
 * (rate at least `minIncrease` above `p`); the episode holds while the count
 * stays at or above `exit`, a rate halfway between. Exact tail, since the normal
 * approximation is useless for the small rates tools usually have.
 */
export function errorThresholds(
  p: number,
  window: number,
  falseAlarm: number,
  minIncrease: number,
): ErrorThresholds {
  const q = Math.min(Math.max(p, 1e-9), 1 - 1e-9);
  const pmf = new Float64Array(window + 1);
  pmf[0] = (1 - q) ** window;
  for (let k = 0; k < window; k++) pmf[k + 1] = (pmf[k]! * (window - k) * q) / ((k + 1) * (1 - q));
  let tail = 0;
  let statistical = window + 1;
  for (let k = window; k >= 0; k--) {
    tail += pmf[k]!;
    if (tail > falseAlarm) break;
    statistical = k;
  }
  const material = Math.ceil((p + minIncrease) * window - 1e-9);
  const enter = Math.max(2, statistical, material);
  const exit = Math.max(1, Math.min(enter - 1, Math.ceil((p + minIncrease / 2) * window - 1e-9)));
  return { enter, exit };
}
