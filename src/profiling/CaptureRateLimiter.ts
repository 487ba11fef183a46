/** Why a capture was not started. */
export type CaptureRefusal = 'busy' | 'tool_cooldown' | 'hourly_budget';

/** Options of {@link CaptureRateLimiter}. */
export interface CaptureRateLimits {
  /** Automatic captures of one tool start at most this often, ms. */
  readonly minIntervalMs: number;
  /** Automatic captures, all tools together, per rolling hour. */
  readonly maxPerHour: number;
}

/**
 * Decides whether a profile capture may start. Pure (the caller passes the
 * clock). The profiler is process-wide, so one capture runs at a time; automatic
 * captures also respect a per-tool cooldown and an hourly budget, so a flapping
 * tool cannot keep the profiler on. On-demand captures skip the cooldown and the
 * budget (an operator asked) but still count towards both.
 */
export class CaptureRateLimiter {
  private busy = false;
  private readonly lastStart = new Map<string, number>();
  private readonly starts: number[] = [];

  constructor(private readonly limits: CaptureRateLimits) {}

  /** Why a capture for `key` at `now` would be refused, without starting one (`undefined`: it would start). */
  refusal(key: string, now: number, onDemand: boolean): CaptureRefusal | undefined {
    if (this.busy) return 'busy';
    this.prune(now);
    if (!onDemand) {
      const last = this.lastStart.get(key);
      if (last !== undefined && now - last < this.limits.minIntervalMs) return 'tool_cooldown';
      if (this.starts.length >= this.limits.maxPerHour) return 'hourly_budget';
    }
    return undefined;
  }

  /** Starts a capture for `key` at `now` if allowed; returns the refusal otherwise. Call {@link finish} after an accepted one. */
  tryStart(key: string, now: number, onDemand: boolean): CaptureRefusal | undefined {
    const refusal = this.refusal(key, now, onDemand);
    if (refusal !== undefined) return refusal;
    this.busy = true;
    this.lastStart.set(key, now);
    this.starts.push(now);
    return undefined;
  }

  /** The running capture ended. */
  finish(): void {
    this.busy = false;
  }

  private prune(now: number): void {
    while (this.starts.length > 0 && now - this.starts[0]! >= 3_600_000) this.starts.shift();
    if (this.lastStart.size > 1000) {
      for (const [key, at] of this.lastStart)
        if (now - at >= this.limits.minIntervalMs) this.lastStart.delete(key);
    }
  }
}
