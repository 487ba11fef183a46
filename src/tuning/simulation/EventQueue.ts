/**
 * A binary min-heap of (time, payload) pairs in typed arrays: the discrete-event simulator
 * pushes and pops millions of events, so no per-event objects. Ties pop in heap order,
 * which is deterministic for a given sequence of pushes.
 */
export class EventQueue {
  #times: Float64Array;
  #payloads: Int32Array;
  #size = 0;

  constructor(capacity = 1024) {
    this.#times = new Float64Array(capacity);
    this.#payloads = new Int32Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  /** Time of the earliest event (Infinity when empty). */
  peekTime(): number {
    return this.#size > 0 ? this.#times[0]! : Number.POSITIVE_INFINITY;
  }

  /** Payload of the earliest event; call {@link pop} to remove it. */
  peekPayload(): number {
    return this.#payloads[0]!;
  }

  push(time: number, payload: number): void {
    if (this.#size === this.#times.length) this.#grow();
    const times = this.#times;
    const payloads = this.#payloads;
    let i = this.#size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent]!;
      if (pt <= time) break;
      times[i] = pt;
      payloads[i] = payloads[parent]!;
      i = parent;
    }
    times[i] = time;
    payloads[i] = payload;
  }

  /** Remove the earliest event (its time and payload were read with the peek methods). */
  pop(): void {
    const n = --this.#size;
    if (n <= 0) return;
    const times = this.#times;
    const payloads = this.#payloads;
    const time = times[n]!;
    const payload = payloads[n]!;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && times[right]! < times[left]! ? right : left;
      if (times[child]! >= time) break;
      times[i] = times[child]!;
      payloads[i] = payloads[child]!;
      i = child;
    }
    times[i] = time;
    payloads[i] = payload;
  }

  #grow(): void {
    const times = new Float64Array(this.#times.length * 2);
    times.set(this.#times);
    const payloads = new Int32Array(this.#payloads.length * 2);
    payloads.set(this.#payloads);
    this.#times = times;
    this.#payloads = payloads;
  }
}
