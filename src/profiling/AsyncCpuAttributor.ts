import { createHook, executionAsyncResource } from 'node:async_hooks';
import { getHeapStatistics } from 'node:v8';
import { reportOnce } from './reportOnce.js';

/** Property under which a resource carries the call context it was created in. */
const CTX = Symbol('toolscope.profiling.ctx');

type Tagged = { [CTX]?: CallMeter | undefined };

/**
 * What one call's own async continuations used, accumulated by {@link AsyncCpuAttributor}.
 * Exclusive figures: a nested `run` is charged to the inner meter only.
 */
export class CallMeter {
  /** User CPU of this call's continuations, microseconds. */
  userMicros = 0;
  /** System CPU of this call's continuations, microseconds. */
  systemMicros = 0;
  /** JS heap growth summed over this call's segments, each clamped at 0 (bytes). */
  heapBytes = 0;
  /** Segments in which the heap shrank (a GC ran inside it): the heap figure undercounts then. */
  heapShrinkSegments = 0;
  /** Times the meter was switched to (a segment of this call started). */
  segments = 0;
  /** CPU charged after `finish` (work the call left behind: timers, unawaited promises), microseconds. */
  lateMicros = 0;
  /** False once finished: later charges land in `lateMicros`. */
  open = true;
  /** Counted in the attributor's open meters (so the hook can go off when none is open). */
  tracked = false;
}

/**
 * Exact per-call CPU and heap attribution for concurrent async work in one process.
 *
 * An async hook tags every resource created inside {@link run} with the call's
 * {@link CallMeter} (`init`), and switches the charged meter when a callback of a
 * different call starts (`before`). The process CPU meter (`process.cpuUsage`,
 * ~0.7 µs) and `used_heap_size` (~0.25 µs) are read only on a switch, so a call
 * whose continuations run back to back costs a handful of reads.
 *
 * "Deferred exit": `after` does not switch back to "no call". The gap until the
 * next callback (event-loop machinery, the hooks themselves) is charged to the
 * last call; this cut meter reads per 20-await chain from 82 to 4 at +0.8 % error
 * (measured, see the facts file). Untagged callbacks still switch to "no call", so
 * transport and other non-call work is not charged to calls.
 *
 * Attribution is on while at least one holder has {@link retain}ed it, and the
 * hook itself is installed only while a meter is open: async work in the process
 * pays the hook's cost only while some call is being measured. Leaked async hooks
 * slow every callback in the process, so `retain`/`release` are counted and
 * idempotent per holder. Hook errors never escape: they are reported once through
 * `diag` and the attributor switches itself off.
 */
export class AsyncCpuAttributor {
  private readonly hook = createHook({
    init: (_id, _type, _trigger, resource) => this.onInit(resource as Tagged),
    before: () => this.onBefore(),
  });
  private readonly holders = new Set<object>();
  /** Some holder wants attribution and no hook error switched it off. */
  private enabled = false;
  /** The hook is on: only while at least one meter is open. */
  private hookOn = false;
  private openMeters = 0;
  private broken = false;
  /** The meter accumulating since the last read; `undefined` = no call. */
  private charged: CallMeter | undefined;
  private lastCpu: NodeJS.CpuUsage = { user: 0, system: 0 };
  private lastHeap = 0;

  /** Whether attribution is on (some holder retains it and no hook error switched it off). */
  get active(): boolean {
    return this.enabled;
  }

  /** Whether the async hook is installed right now: only while a call is being metered. */
  get hooked(): boolean {
    return this.hookOn;
  }

  /** Turns attribution on for `holder` (idempotent per holder). */
  retain(holder: object): void {
    if (this.broken) return;
    this.holders.add(holder);
    this.enabled = true;
  }

  /** Drops `holder`; the hook is disabled when no holder is left (idempotent). */
  release(holder: object): void {
    this.holders.delete(holder);
    if (this.holders.size === 0) this.shutdown();
  }

  /**
   * Starts a meter for one call; pass it to {@link run} and then {@link finish}.
   * The hook goes on with the first open meter and off with the last: async work
   * while no call is metered pays nothing.
   */
  open(): CallMeter {
    const meter = new CallMeter();
    if (!this.enabled) return meter;
    meter.tracked = true;
    this.openMeters++;
    if (!this.hookOn) {
      this.charged = undefined;
      this.hook.enable();
      this.hookOn = true;
    }
    return meter;
  }

  /**
   * Runs `fn` with `meter` as its async context: its synchronous part and every
   * continuation it schedules are charged to `meter`. Without an active hook it
   * just calls `fn`.
   */
  run<T>(meter: CallMeter, fn: () => T): T {
    if (!this.hookOn) return fn();
    const resource = executionAsyncResource() as Tagged;
    const outer = resource[CTX];
    // Same trick as AsyncLocalStorage.run: tag the current resource for the
    // synchronous part so `init` of resources created inside sees the meter.
    resource[CTX] = meter;
    this.safeSwitch(meter);
    try {
      return fn();
    } finally {
      // Deferred exit here too: the caller's synchronous remainder is charged to
      // `meter` until the next callback of another context, which saves the two
      // reads of leaving and re-entering when the call's continuation runs next.
      resource[CTX] = outer;
    }
  }

  /**
   * Runs `fn` outside any call, so resources it creates (e.g. a shared timer) are
   * never charged to the call that happened to start them.
   */
  runOutside<T>(fn: () => T): T {
    if (!this.hookOn) return fn();
    const resource = executionAsyncResource() as Tagged;
    const outer = resource[CTX];
    resource[CTX] = undefined;
    try {
      return fn();
    } finally {
      resource[CTX] = outer;
    }
  }

  /** Closes `meter`: flushes its current segment if it is being charged. Idempotent. */
  finish(meter: CallMeter): CallMeter {
    if (meter.open) {
      if (this.charged === meter) this.safeSwitch(undefined);
      meter.open = false;
      if (meter.tracked) {
        meter.tracked = false;
        this.openMeters = Math.max(0, this.openMeters - 1);
        if (this.openMeters === 0) this.unhook();
      }
    }
    return meter;
  }

  private onInit(resource: Tagged): void {
    try {
      const ctx = (executionAsyncResource() as Tagged)[CTX];
      if (ctx !== undefined) resource[CTX] = ctx;
    } catch (error) {
      this.fail(error);
    }
  }

  private onBefore(): void {
    try {
      const ctx = (executionAsyncResource() as Tagged)[CTX];
      if (ctx !== this.charged) this.switchTo(ctx);
    } catch (error) {
      this.fail(error);
    }
  }

  private safeSwitch(next: CallMeter | undefined): void {
    try {
      this.switchTo(next);
    } catch (error) {
      this.fail(error);
    }
  }

  /** Charges the CPU and heap used since the last read to the current meter, then switches. */
  private switchTo(next: CallMeter | undefined): void {
    if (next === this.charged) return;
    const cpu = process.cpuUsage();
    const heap = getHeapStatistics().used_heap_size;
    const prev = this.charged;
    if (prev !== undefined) {
      const user = cpu.user - this.lastCpu.user;
      const system = cpu.system - this.lastCpu.system;
      if (prev.open) {
        prev.userMicros += user;
        prev.systemMicros += system;
        const grown = heap - this.lastHeap;
        if (grown >= 0) prev.heapBytes += grown;
        else prev.heapShrinkSegments++;
      } else {
        prev.lateMicros += user + system;
      }
    }
    if (next !== undefined) next.segments++;
    this.charged = next;
    this.lastCpu = cpu;
    this.lastHeap = heap;
  }

  private unhook(): void {
    if (!this.hookOn) return;
    this.safeSwitch(undefined);
    this.hook.disable();
    this.hookOn = false;
    this.charged = undefined;
  }

  private shutdown(): void {
    this.enabled = false;
    this.openMeters = 0;
    if (this.hookOn) {
      this.hook.disable();
      this.hookOn = false;
    }
    this.charged = undefined;
  }

  private fail(error: unknown): void {
    this.broken = true;
    this.shutdown();
    reportOnce(
      'attributor',
      'toolscope profiling: async attribution disabled after an internal error',
      error,
    );
  }
}
