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

/** The error flags of a tool's latest calls, judged against its baseline error rate. O(1) a call. */
export class ErrorWindow {
  /** Errors in the window. */
  count = 0;
  /** Calls in the window (up to `size`). */
  fill = 0;
  enter = Number.POSITIVE_INFINITY;
  exit = Number.POSITIVE_INFINITY;
  private readonly flags: Uint8Array;
  private head = 0;

  constructor(readonly size: number) {
    this.flags = new Uint8Array(size);
  }

  push(flag: number): void {
    if (this.fill === this.size) this.count -= this.flags[this.head]!;
    else this.fill++;
    this.flags[this.head] = flag;
    this.count += flag;
    this.head = (this.head + 1) % this.size;
  }

  clear(): void {
    this.flags.fill(0);
    this.count = 0;
  }

  get rate(): number {
    return this.fill > 0 ? this.count / this.fill : 0;
  }

  /** Recomputes the thresholds for a new baseline error rate. */
  setBaseline(p: number, falseAlarm: number, minIncrease: number): void {
    const t = errorThresholds(p, this.size, falseAlarm, minIncrease);
    this.enter = t.enter;
    this.exit = t.exit;
  }

  /** The error rate is anomalous (with hysteresis inside an episode). */
  holds(inEpisode: boolean): boolean {
    return this.count >= (inEpisode ? this.exit : this.enter);
  }

  /** Binomial z-score of the window's rate against `p`. */
  z(p: number): number {
    return (this.rate - p) / Math.sqrt((p * (1 - p)) / Math.max(1, this.fill));
  }
}
