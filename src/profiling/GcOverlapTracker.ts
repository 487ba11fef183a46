/**
 * Recent GC pauses as [start, end) intervals on the `performance.now()` clock, in a
 * fixed ring, and how much of them overlapped a call window. Pure; the
 * {@link GcObserver} shell feeds it.
 */
export class GcOverlapTracker {
  private readonly starts: Float64Array;
  private readonly ends: Float64Array;
  private next = 0;
  private size = 0;

  /** @param capacity GCs remembered; calls longer than the span they cover see only the newest. @default 256 */
  constructor(capacity = 256) {
    this.starts = new Float64Array(capacity);
    this.ends = new Float64Array(capacity);
  }

  /** Records one GC pause (ms). */
  record(startMs: number, durationMs: number): void {
    this.starts[this.next] = startMs;
    this.ends[this.next] = startMs + durationMs;
    this.next = (this.next + 1) % this.starts.length;
    if (this.size < this.starts.length) this.size++;
  }

  /** GC pause time (ms) inside [from, to]; walks back from the newest and stops at the first GC that ended before `from`. */
  overlap(from: number, to: number): number {
    let total = 0;
    const cap = this.starts.length;
    for (let i = 0, j = (this.next - 1 + cap) % cap; i < this.size; i++, j = (j - 1 + cap) % cap) {
      const start = this.starts[j]!;
      const end = this.ends[j]!;
      if (end <= from) break;
      const overlap = Math.min(end, to) - Math.max(start, from);
      if (overlap > 0) total += overlap;
    }
    return total;
  }
}
