/** What the wait queue needs from an entry: its priority and whether it still waits. */
export interface QueueEntry {
  /** Higher runs first. */
  readonly priority: number;
  /** True while the entry sits in a queue; the queue clears it on dequeue or removal. */
  queued: boolean;
}

/** One priority level: a FIFO array with a moving head (amortised O(1) shift). */
interface Level<T> {
  readonly priority: number;
  items: (T | undefined)[];
  head: number;
  /** Entries removed in place (cancelled, timed out) still occupying a slot. */
  holes: number;
}

// Compact a level once this many consumed or removed slots pile up at its front.
const COMPACT_AT = 1024;

/** A level with no entry left: reset so that its array does not grow forever. */
function drained<T>(level: Level<T>): void {
  level.items.length = 0;
  level.head = 0;
  level.holes = 0;
}

/**
 * A bounded-by-the-caller priority queue: strictly by priority, FIFO within a
 * priority ({@link shift}), or newest first within it ({@link pop}). Removal of an arbitrary entry (queue timeout, caller cancel) is O(1):
 * the entry is marked and skipped on dequeue, so the order of the others never
 * changes. Priorities are few (they come from config), so levels are a short
 * array sorted by priority, highest first.
 */
export class WaitQueue<T extends QueueEntry> {
  // Sorted by priority, descending; a level stays once created (priorities are config values).
  readonly #levels: Level<T>[] = [];
  #size = 0;

  /** Entries waiting (removed ones excluded). */
  get size(): number {
    return this.#size;
  }

  /** Appends `entry` at the back of its priority level. */
  push(entry: T): void {
    const level = this.#level(entry.priority);
    level.items.push(entry);
    entry.queued = true;
    this.#size++;
  }

  /** Takes the oldest entry of the highest priority, or `undefined` when empty. */
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    for (const level of this.#levels) {
      const { items } = level;
      while (level.head < items.length) {
        const entry = items[level.head];
        items[level.head] = undefined;
        level.head++;
        if (entry?.queued) {
          entry.queued = false;
          this.#size--;
          this.#compact(level);
          return entry;
        }
        level.holes--;
      }
      drained(level);
    }
    return undefined;
  }

  /** Takes the newest entry of the highest priority, or `undefined` when empty. */
  pop(): T | undefined {
    if (this.#size === 0) return undefined;
    for (const level of this.#levels) {
      const { items } = level;
      while (items.length > level.head) {
        const entry = items.pop();
        if (entry?.queued) {
          entry.queued = false;
          this.#size--;
          return entry;
        }
        level.holes--;
      }
      drained(level);
    }
    return undefined;
  }

  /** Removes `entry` without disturbing the others. Returns false if it was not queued. */
  remove(entry: T): boolean {
    if (!entry.queued) return false;
    entry.queued = false;
    this.#size--;
    const level = this.#level(entry.priority);
    level.holes++;
    this.#compact(level);
    return true;
  }

  #level(priority: number): Level<T> {
    const levels = this.#levels;
    let i = 0;
    for (; i < levels.length; i++) {
      const level = levels[i] as Level<T>;
      if (level.priority === priority) return level;
      if (level.priority < priority) break;
    }
    const created: Level<T> = { priority, items: [], head: 0, holes: 0 };
    levels.splice(i, 0, created);
    return created;
  }

  #compact(level: Level<T>): void {
    // Only when the waste is large in absolute terms and at least half the array: amortised O(1).
    const waste = level.head + level.holes;
    if (waste < COMPACT_AT || waste * 2 < level.items.length) return;
    const live: (T | undefined)[] = [];
    for (let i = level.head; i < level.items.length; i++) {
      const entry = level.items[i];
      if (entry?.queued) live.push(entry);
    }
    level.items = live;
    level.head = 0;
    level.holes = 0;
  }
}
