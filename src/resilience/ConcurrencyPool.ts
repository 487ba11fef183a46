import { type Clock, systemClock, type TimerHandle } from './Clock.js';
import { cancelledError, overloadedError } from './executionErrors.js';
import type { ResizablePool } from './ResizablePool.js';
import { type QueueEntry, WaitQueue } from './WaitQueue.js';

/** Largest limit a pool accepts; `setLimit` clamps to it. */
export const MAX_POOL_LIMIT = 10_000;

/** How a {@link ConcurrencyPool} is set up. */
export interface ConcurrencyPoolOptions {
  /** `service`, or `service/tool` for a per-tool override pool. */
  readonly id: string;
  /** Initial concurrency limit (clamped to 1…{@link MAX_POOL_LIMIT}); ignored when `exclusive`. */
  readonly limit: number;
  /** Most calls that may wait for a slot; 0 refuses every call that cannot start at once. */
  readonly queueSize: number;
  /** Longest wait for a slot, ms; 0 waits without a limit. */
  readonly queueTimeoutMs: number;
  /** One call at a time, always: the limit is 1 and `setLimit` leaves it alone. @default false */
  readonly exclusive?: boolean;
  /**
   * Which waiter a freed slot goes to, within a priority: `adaptive` serves the oldest first, and the
   * newest while the queue stands and callers give up in it (see {@link ConcurrencyPool}); `fifo`
   * always the oldest.
   * @default 'adaptive'
   */
  readonly queueOrder?: QueueOrder;
  /** Time source for queue deadlines and wait figures. @default systemClock */
  readonly clock?: Clock;
}

/** Which waiter a freed slot goes to, within a priority. */
export type QueueOrder = 'adaptive' | 'fifo';

/** A pool's state for status pages and the demo summary. */
export interface PoolSnapshot {
  readonly id: string;
  readonly limit: number;
  readonly initialLimit: number;
  readonly exclusive: boolean;
  readonly inFlight: number;
  readonly queued: number;
  readonly queueSize: number;
  readonly queueTimeoutMs: number;
  /** Calls that got a slot (at once or after waiting). */
  readonly admitted: number;
  /** Calls that had to wait. */
  readonly waited: number;
  readonly rejectedQueueFull: number;
  readonly rejectedQueueTimeout: number;
  /** Calls whose caller gave up while they waited. */
  readonly cancelledWhileQueued: number;
  /** Smoothed time a slot is held, ms (0 before the first release). */
  readonly avgHoldMs: number;
  readonly queueOrder: QueueOrder;
  /** Slots given to the newest waiter because the queue stood and callers gave up in it (adaptive order). */
  readonly servedNewestFirst: number;
}

// Retry-after hints stay within these bounds: a hint of 0 invites a stampede, and
// one of minutes is never right for a queue that turns over in seconds.
const MIN_RETRY_AFTER_MS = 50;
const MAX_RETRY_AFTER_MS = 60_000;
// Used for the hint before any call released a slot.
const UNKNOWN_HOLD_MS = 1_000;
const HOLD_EWMA_WEIGHT = 0.2;
// A queue that has not been empty for this many slot-hold times (and at least the floor) stands:
// demand exceeds what the pool serves, not a passing burst.
const STANDING_HOLDS = 4;
const STANDING_FLOOR_MS = 100;

class Waiter implements QueueEntry {
  queued = false;
  timer: TimerHandle | undefined = undefined;
  resolve!: () => void;
  reject!: (error: unknown) => void;

  constructor(
    readonly pool: ConcurrencyPool,
    readonly toolKey: string,
    readonly priority: number,
    readonly signal: AbortSignal | undefined,
  ) {}

  /** The caller's signal aborted (an `EventListener` object, so no closure per waiter). */
  handleEvent(): void {
    cancelWaiter(this.pool, this);
  }
}

// Module-private access to the pool's privates for Waiter and timer callbacks.
let cancelWaiter: (pool: ConcurrencyPool, waiter: Waiter) => void;
let expireWaiter: (waiter: Waiter) => void;

/**
 * A counting semaphore with a bounded priority wait queue, resizable at run time.
 *
 * Invariants: a call is only admitted while `inFlight < limit`; whenever a slot
 * is free the queue is empty (so a newcomer never jumps the queue); waiters are
 * served strictly by priority; resizing never drops or reorders waiters.
 * Shrinking lets running calls finish and admits nobody until `inFlight` falls
 * below the new limit.
 *
 * Within a priority, waiters are served oldest first. A queue that has not been
 * empty for four slot-hold times (at least 100 ms) *stands*: demand exceeds what
 * the pool serves. When, in a standing queue, callers also give up waiting, oldest
 * first serves every call just before its caller leaves and the work is wasted
 * (goodput collapses to near nothing under a sustained overload), so an
 * `adaptive` pool then serves the newest waiter instead until the queue empties:
 * those calls finish in time, and the oldest ones, which would have failed either
 * way, run out of their callers' patience without taking upstream work. Callers
 * that wait as long as it takes (an agent's loop) keep strict arrival order:
 * newest first would only make some of them wait until the queue timeout.
 *
 * Use {@link tryAcquire} first (no allocation when a slot is free), then
 * {@link acquire} to wait; every successful acquire must be paired with one
 * {@link release}.
 */
export class ConcurrencyPool implements ResizablePool {
  readonly id: string;
  readonly exclusive: boolean;
  readonly initialLimit: number;
  readonly queueSize: number;
  readonly queueTimeoutMs: number;
  readonly queueOrder: QueueOrder;
  readonly #clock: Clock;
  readonly #queue = new WaitQueue<Waiter>();
  #limit: number;
  #inFlight = 0;
  #avgHoldMs = 0;
  #admitted = 0;
  #waited = 0;
  #rejectedQueueFull = 0;
  #rejectedQueueTimeout = 0;
  #cancelledWhileQueued = 0;
  #servedNewestFirst = 0;
  /** When the queue last went from empty to waiting (NaN while empty). */
  #queuedSince = Number.NaN;
  /** When a caller last gave up while its call waited. */
  #abandonedAt = Number.NEGATIVE_INFINITY;

  static {
    cancelWaiter = (pool, waiter) => pool.#cancel(waiter);
    expireWaiter = (waiter) => waiter.pool.#expire(waiter);
  }

  constructor(options: ConcurrencyPoolOptions) {
    this.id = options.id;
    this.exclusive = options.exclusive === true;
    this.#limit = this.exclusive ? 1 : clampLimit(options.limit, 1);
    this.initialLimit = this.#limit;
    this.queueSize = Math.max(0, Math.floor(options.queueSize));
    this.queueTimeoutMs = Math.max(0, options.queueTimeoutMs);
    this.queueOrder = options.queueOrder ?? 'adaptive';
    this.#clock = options.clock ?? systemClock;
  }

  get limit(): number {
    return this.#limit;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get queued(): number {
    return this.#queue.size;
  }

  /**
   * Changes the limit (rounded down, clamped to 1…{@link MAX_POOL_LIMIT}; non-finite
   * values are ignored). Growing admits waiters at once, in queue order. An
   * exclusive pool keeps its limit of 1.
   */
  setLimit(limit: number): void {
    if (this.exclusive) return;
    this.#limit = clampLimit(limit, this.#limit);
    this.#drain();
  }

  /** Takes a slot if one is free and nobody waits. Allocation-free. */
  tryAcquire(): boolean {
    if (this.#inFlight >= this.#limit || this.#queue.size > 0) return false;
    this.#inFlight++;
    this.#admitted++;
    return true;
  }

  /**
   * Waits for a slot. Rejects with an `overloaded` {@link ToolscopeError} when the
   * queue is full or the wait exceeds the queue-time limit, and with a `cancelled`
   * one when `signal` aborts first. `toolKey` only names the tool in those errors.
   */
  acquire(toolKey: string, priority: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(cancelledError(toolKey));
    if (this.tryAcquire()) return Promise.resolve();
    if (this.#queue.size >= this.queueSize) {
      this.#rejectedQueueFull++;
      return Promise.reject(
        overloadedError(toolKey, this.id, 'queue_full', this.retryAfterMs(), this.#limit, this.#queue.size),
      );
    }
    const waiter = new Waiter(this, toolKey, priority, signal);
    const promise = new Promise<void>((resolve, reject) => {
      waiter.resolve = resolve;
      waiter.reject = reject;
    });
    if (this.#queue.size === 0) this.#queuedSince = this.#clock.now();
    this.#queue.push(waiter);
    this.#waited++;
    if (this.queueTimeoutMs > 0)
      waiter.timer = this.#clock.setTimer(expireWaiter, this.queueTimeoutMs, waiter);
    signal?.addEventListener('abort', waiter);
    return promise;
  }

  /** Frees a slot taken by `tryAcquire`/`acquire`; `heldMs` feeds the retry-after estimate. */
  release(heldMs?: number): void {
    if (this.#inFlight === 0) return;
    this.#inFlight--;
    if (heldMs !== undefined && heldMs >= 0) {
      this.#avgHoldMs =
        this.#avgHoldMs === 0 ? heldMs : this.#avgHoldMs + HOLD_EWMA_WEIGHT * (heldMs - this.#avgHoldMs);
    }
    this.#drain();
  }

  /**
   * How long a refused caller should back off: the time for the calls ahead of
   * it to drain at the current limit, from the smoothed slot-hold time.
   */
  retryAfterMs(): number {
    const hold = this.#avgHoldMs > 0 ? this.#avgHoldMs : UNKNOWN_HOLD_MS;
    const ahead = this.#queue.size + Math.max(0, this.#inFlight - this.#limit) + 1;
    const estimate = Math.ceil((hold * ahead) / this.#limit);
    return Math.min(MAX_RETRY_AFTER_MS, Math.max(MIN_RETRY_AFTER_MS, estimate));
  }

  /** State and counters, for status and the demo summary (allocates; not for the hot path). */
  snapshot(): PoolSnapshot {
    return {
      id: this.id,
      limit: this.#limit,
      initialLimit: this.initialLimit,
      exclusive: this.exclusive,
      inFlight: this.#inFlight,
      queued: this.#queue.size,
      queueSize: this.queueSize,
      queueTimeoutMs: this.queueTimeoutMs,
      admitted: this.#admitted,
      waited: this.#waited,
      rejectedQueueFull: this.#rejectedQueueFull,
      rejectedQueueTimeout: this.#rejectedQueueTimeout,
      cancelledWhileQueued: this.#cancelledWhileQueued,
      avgHoldMs: Math.round(this.#avgHoldMs * 10) / 10,
      queueOrder: this.queueOrder,
      servedNewestFirst: this.#servedNewestFirst,
    };
  }

  /** True when the queue stands and callers give up in it: the newest waiter goes first. */
  #newestFirst(): boolean {
    if (this.queueOrder !== 'adaptive' || this.#queue.size === 0) return false;
    if (this.#abandonedAt < this.#queuedSince) return false;
    const standingMs = Math.max(STANDING_FLOOR_MS, STANDING_HOLDS * this.#avgHoldMs);
    return this.#clock.now() - this.#queuedSince >= standingMs;
  }

  #drain(): void {
    while (this.#inFlight < this.#limit) {
      const newest = this.#newestFirst();
      const waiter = newest ? this.#queue.pop() : this.#queue.shift();
      if (waiter === undefined) return;
      if (newest) this.#servedNewestFirst++;
      if (this.#queue.size === 0) this.#queuedSince = Number.NaN;
      this.#inFlight++;
      this.#admitted++;
      this.#detach(waiter);
      waiter.resolve();
    }
  }

  #cancel(waiter: Waiter): void {
    if (!this.#queue.remove(waiter)) return;
    this.#abandonedAt = this.#clock.now();
    if (this.#queue.size === 0) this.#queuedSince = Number.NaN;
    this.#cancelledWhileQueued++;
    this.#detach(waiter);
    waiter.reject(cancelledError(waiter.toolKey));
  }

  #expire(waiter: Waiter): void {
    waiter.timer = undefined;
    if (!this.#queue.remove(waiter)) return;
    if (this.#queue.size === 0) this.#queuedSince = Number.NaN;
    this.#rejectedQueueTimeout++;
    this.#detach(waiter);
    waiter.reject(
      overloadedError(
        waiter.toolKey,
        this.id,
        'queue_timeout',
        this.retryAfterMs(),
        this.#limit,
        this.#queue.size,
      ),
    );
  }

  #detach(waiter: Waiter): void {
    if (waiter.timer !== undefined) {
      this.#clock.clearTimer(waiter.timer);
      waiter.timer = undefined;
    }
    waiter.signal?.removeEventListener('abort', waiter);
  }
}

function clampLimit(limit: number, fallback: number): number {
  if (!Number.isFinite(limit)) return fallback;
  return Math.min(MAX_POOL_LIMIT, Math.max(1, Math.floor(limit)));
}
