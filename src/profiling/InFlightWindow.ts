/**
 * Time-weighted in-flight count for one scope (the process, or one upstream
 * service). Pure: the caller passes the clock. O(1) per call: a running integral
 * of "calls in flight × time" is read at both ends of a call, so the mean number
 * of calls sharing the window needs no per-call bookkeeping by others.
 */
export class InFlightWindow {
  private count = 0;
  private integral = 0;
  private last = 0;

  /** Calls in flight right now. */
  get inFlight(): number {
    return this.count;
  }

  /** A call starts at `now` (ms); keep the returned mark for {@link leave}. */
  enter(now: number): InFlightMark {
    this.advance(now);
    this.count++;
    return { time: now, integral: this.integral };
  }

  /**
   * The call that got `mark` ends at `now`; returns the time-weighted mean number of
   * calls in flight in the scope during its window, itself included (≥ 1).
   */
  leave(mark: InFlightMark, now: number): number {
    this.advance(now);
    const span = now - mark.time;
    const mean = span > 0 ? (this.integral - mark.integral) / span : this.count;
    this.count = Math.max(0, this.count - 1);
    return Math.max(1, mean);
  }

  private advance(now: number): void {
    if (now > this.last) {
      this.integral += this.count * (now - this.last);
      this.last = now;
    }
  }
}

/** Where a call entered an {@link InFlightWindow}. */
export interface InFlightMark {
  readonly time: number;
  readonly integral: number;
}
