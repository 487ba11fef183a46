/** Summed CPU times of all logical CPUs, ms (as `os.cpus()` reports them). */
export interface CpuTimesTotal {
  readonly busy: number;
  readonly total: number;
}

/** Sum `os.cpus()` times: busy is everything but idle (user, nice, sys, irq). */
export function sumCpuTimes(
  cpus: ReadonlyArray<{ times: { user: number; nice: number; sys: number; idle: number; irq: number } }>,
): CpuTimesTotal {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus) {
    const used = times.user + times.nice + times.sys + times.irq;
    busy += used;
    total += used + times.idle;
  }
  return { busy, total };
}

/** Share of CPU time spent busy between two readings, 0…1 (undefined when no time passed). */
export function busyFraction(previous: CpuTimesTotal, current: CpuTimesTotal): number | undefined {
  const total = current.total - previous.total;
  if (total <= 0) return undefined;
  const busy = current.busy - previous.busy;
  return Math.min(1, Math.max(0, busy / total));
}

/**
 * Host CPU utilisation on demand, for the tuner's saturation signal: the busy
 * share of all cores over the window since the previous reading, recomputed at
 * most once per `minWindowMs` (a reading taken sooner returns the last value, so
 * callers may ask as often as they like). Pure: the clock and the CPU reader are
 * parameters; no timer runs.
 */
export class HostCpuGauge {
  readonly #read: () => CpuTimesTotal;
  readonly #now: () => number;
  readonly #minWindowMs: number;
  #last: CpuTimesTotal;
  #lastAt: number;
  #value: number | undefined;

  constructor(read: () => CpuTimesTotal, now: () => number, minWindowMs = 1000) {
    this.#read = read;
    this.#now = now;
    this.#minWindowMs = minWindowMs;
    this.#last = read();
    this.#lastAt = now();
  }

  /** Busy share of all cores over the latest window, 0…1; undefined before the first window closes. */
  utilization(): number | undefined {
    const now = this.#now();
    if (now - this.#lastAt < this.#minWindowMs) return this.#value;
    const current = this.#read();
    this.#value = busyFraction(this.#last, current) ?? this.#value;
    this.#last = current;
    this.#lastAt = now;
    return this.#value;
  }
}
