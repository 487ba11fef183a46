import { PerformanceObserver } from 'node:perf_hooks';
import type { GcOverlapTracker } from './GcOverlapTracker.js';
import { reportOnce } from './reportOnce.js';

/**
 * Feeds GC pauses from a `gc` PerformanceObserver into a {@link GcOverlapTracker}.
 * Node delivers `gc` entries asynchronously (shortly after the pause), so a GC in
 * the last moment of a call may be missing from that call's overlap. Measured cost:
 * within noise (0.97–1.00× on an async chain).
 */
export class GcObserver {
  private observer: PerformanceObserver | undefined;

  constructor(private readonly tracker: GcOverlapTracker) {}

  /** Starts observing (idempotent). */
  start(): void {
    if (this.observer) return;
    try {
      const observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) this.tracker.record(entry.startTime, entry.duration);
      });
      observer.observe({ entryTypes: ['gc'] });
      this.observer = observer;
    } catch (error) {
      reportOnce('gc-observer', 'toolscope profiling: GC observation unavailable', error);
    }
  }

  /** Stops observing (idempotent). */
  stop(): void {
    this.observer?.disconnect();
    this.observer = undefined;
  }
}
