import type { Clock, TimerHandle } from '../../src/resilience/index.js';

interface Timer {
  readonly due: number;
  readonly seq: number;
  readonly fire: () => void;
  cancelled: boolean;
}

/** Lets promise continuations run (real macrotask; the code under test uses only the injected clock). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Simulated time: timers fire only when the test advances the clock, in due order. */
export class ManualClock implements Clock {
  #now = 0;
  #seq = 0;
  #timers: Timer[] = [];

  now(): number {
    return this.#now;
  }

  setTimer<T>(callback: (arg: T) => void, ms: number, arg: T): TimerHandle {
    const timer: Timer = {
      due: this.#now + Math.max(0, ms),
      seq: this.#seq++,
      fire: () => callback(arg),
      cancelled: false,
    };
    this.#timers.push(timer);
    return timer;
  }

  clearTimer(handle: TimerHandle): void {
    (handle as Timer).cancelled = true;
  }

  /** Timers not yet fired or cancelled. */
  get pending(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ms`, firing due timers in order and letting promises settle between them. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await flush();
    for (;;) {
      const live = this.#timers.filter((t) => !t.cancelled && t.due <= end);
      if (live.length === 0) break;
      live.sort((a, b) => a.due - b.due || a.seq - b.seq);
      const timer = live[0]!;
      timer.cancelled = true;
      this.#timers = this.#timers.filter((t) => !t.cancelled);
      this.#now = timer.due;
      timer.fire();
      await flush();
    }
    this.#now = end;
    await flush();
  }
}
