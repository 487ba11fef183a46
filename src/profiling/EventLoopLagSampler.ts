import { performance } from 'node:perf_hooks';

/** A call's view of event-loop lag; filled in by the sampler while the call is open. */
export interface LagWindow {
  /** Largest timer lateness seen while the window was open, ms. */
  maxLagMs: number;
}

/**
 * Event-loop delay per call: an unref'd timer ticks every `resolutionMs` while calls
 * are open and pushes its lateness into every open window (O(open calls) per tick,
 * nothing per call beyond a Set add/delete). The timer runs only while calls are
 * in flight and stops itself after a second without any. When a call closes, the
 * lateness of the tick that is overdue right now is included too, so a call that
 * blocks the loop itself sees its own block.
 */
export class EventLoopLagSampler {
  private readonly open = new Set<LagWindow>();
  private timer: NodeJS.Timeout | undefined;
  private due = 0;
  private idleTicks = 0;

  /**
   * @param resolutionMs tick interval; lag shorter than this may go unseen. @default 10
   * @param startTimer hook to create the timer outside any call's async context.
   */
  constructor(
    private readonly resolutionMs = 10,
    private readonly startTimer: (start: () => void) => void = (start) => start(),
  ) {}

  /** Opens a window for one call. */
  enter(): LagWindow {
    const window: LagWindow = { maxLagMs: 0 };
    this.open.add(window);
    if (this.timer === undefined) this.startTimer(() => this.begin());
    return window;
  }

  /** Closes the window and returns its max lag (ms). */
  leave(window: LagWindow): number {
    this.open.delete(window);
    if (this.timer !== undefined) {
      const overdue = performance.now() - this.due;
      if (overdue > window.maxLagMs) window.maxLagMs = overdue;
    }
    return window.maxLagMs;
  }

  /** Stops the timer (idempotent); open windows keep what they saw. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private begin(): void {
    if (this.timer !== undefined) return;
    this.idleTicks = 0;
    this.due = performance.now() + this.resolutionMs;
    this.timer = setInterval(() => this.tick(), this.resolutionMs);
    this.timer.unref();
  }

  private tick(): void {
    const now = performance.now();
    const lag = Math.max(0, now - this.due);
    this.due = now + this.resolutionMs;
    for (const window of this.open) if (lag > window.maxLagMs) window.maxLagMs = lag;
    if (this.open.size > 0) this.idleTicks = 0;
    else if (++this.idleTicks * this.resolutionMs >= 1000) this.stop();
  }
}
