import type { Clock, TimerHandle } from './Clock.js';

class Delay {
  timer: TimerHandle | undefined = undefined;
  resolve!: () => void;
  reject!: (error: unknown) => void;

  constructor(
    readonly clock: Clock,
    readonly signal: AbortSignal,
    readonly abortError: () => unknown,
  ) {}

  /** The signal aborted: stop waiting (an `EventListener` object, no closure). */
  handleEvent(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.reject(this.abortError());
  }
}

function elapsed(delay: Delay): void {
  delay.timer = undefined;
  delay.signal.removeEventListener('abort', delay);
  delay.resolve();
}

/**
 * Waits `ms` on `clock`, or rejects with `abortError()` as soon as `signal`
 * aborts (a caller who gives up must not sit out a retry backoff).
 */
export function abortableDelay(
  clock: Clock,
  ms: number,
  signal: AbortSignal,
  abortError: () => unknown,
): Promise<void> {
  if (signal.aborted) return Promise.reject(abortError());
  const delay = new Delay(clock, signal, abortError);
  const promise = new Promise<void>((resolve, reject) => {
    delay.resolve = resolve;
    delay.reject = reject;
  });
  delay.timer = clock.setTimer(elapsed, ms, delay);
  signal.addEventListener('abort', delay, { once: true });
  return promise;
}
