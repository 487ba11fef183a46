/** Opaque handle of a timer started by a {@link Clock}. */
export type TimerHandle = unknown;

/**
 * Time as execution control sees it: a monotonic millisecond clock and one-shot
 * timers. Everything time-based in this folder takes a clock, so tests run it in
 * simulated time and production uses {@link systemClock}.
 */
export interface Clock {
  /** Monotonic milliseconds (any origin). */
  now(): number;
  /**
   * Calls `callback(arg)` after `ms`. The argument is passed through so callers
   * can use one shared function instead of a closure per timer.
   */
  setTimer<T>(callback: (arg: T) => void, ms: number, arg: T): TimerHandle;
  /** Cancels a timer; a no-op for one that already fired. */
  clearTimer(handle: TimerHandle): void;
}

/**
 * The real clock: `performance.now()` and `setTimeout`. Timers are `unref()`ed so a
 * pending queue deadline or call timeout never keeps the process alive on its own.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer<T>(callback: (arg: T) => void, ms: number, arg: T): TimerHandle {
    const timer = setTimeout(callback, ms, arg);
    timer.unref();
    return timer;
  },
  clearTimer(handle: TimerHandle): void {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
