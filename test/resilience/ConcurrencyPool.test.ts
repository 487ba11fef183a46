import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ToolscopeError } from '../../src/pipeline/index.js';
import { ConcurrencyPool } from '../../src/resilience/index.js';
import { ManualClock } from './ManualClock.js';

function pool(
  options: Partial<ConstructorParameters<typeof ConcurrencyPool>[0]> = {},
  clock = new ManualClock(),
) {
  return new ConcurrencyPool({ id: 'svc', limit: 2, queueSize: 10, queueTimeoutMs: 0, clock, ...options });
}

/** Enqueues a waiter and records when it is granted. */
function wait(p: ConcurrencyPool, name: string, priority: number, granted: string[], signal?: AbortSignal) {
  return p.acquire(`svc/${name}`, priority, signal).then(() => {
    granted.push(name);
  });
}

const tick = () => Promise.resolve();

describe('ConcurrencyPool', () => {
  it('admits up to the limit at once, then queues', async () => {
    const p = pool({ limit: 2 });
    expect(p.tryAcquire()).toBe(true);
    expect(p.tryAcquire()).toBe(true);
    expect(p.tryAcquire()).toBe(false);
    const granted: string[] = [];
    void wait(p, 'a', 0, granted);
    await tick();
    expect(granted).toEqual([]);
    expect(p.inFlight).toBe(2);
    expect(p.queued).toBe(1);
    p.release();
    await tick();
    expect(granted).toEqual(['a']);
    expect(p.inFlight).toBe(2);
    expect(p.queued).toBe(0);
  });

  it('serves waiters by priority, FIFO within a priority', async () => {
    const p = pool({ limit: 1 });
    p.tryAcquire();
    const granted: string[] = [];
    void wait(p, 'low1', 0, granted);
    void wait(p, 'high1', 5, granted);
    void wait(p, 'low2', 0, granted);
    void wait(p, 'high2', 5, granted);
    void wait(p, 'neg', -1, granted);
    for (let i = 0; i < 5; i++) {
      p.release();
      await tick();
    }
    expect(granted).toEqual(['high1', 'high2', 'low1', 'low2', 'neg']);
  });

  it('never lets a newcomer jump the queue while calls wait', async () => {
    const p = pool({ limit: 1 });
    p.tryAcquire();
    const granted: string[] = [];
    void wait(p, 'first', 0, granted);
    p.release(); // hands the slot straight to the waiter
    expect(p.tryAcquire()).toBe(false);
    await tick();
    expect(granted).toEqual(['first']);
  });

  it('resize up admits queued calls at once, in queue order', async () => {
    const p = pool({ limit: 1 });
    p.tryAcquire();
    const granted: string[] = [];
    for (const name of ['a', 'b', 'c', 'd']) void wait(p, name, 0, granted);
    p.setLimit(3);
    await tick();
    expect(granted).toEqual(['a', 'b']);
    expect(p.inFlight).toBe(3);
    expect(p.queued).toBe(2);
  });

  it('resize down lets running calls finish and admits nobody until in-flight is below the new limit', async () => {
    const p = pool({ limit: 4 });
    for (let i = 0; i < 4; i++) p.tryAcquire();
    const granted: string[] = [];
    void wait(p, 'a', 0, granted);
    p.setLimit(2);
    expect(p.inFlight).toBe(4);
    p.release();
    p.release();
    await tick();
    expect(granted).toEqual([]);
    p.release();
    await tick();
    expect(granted).toEqual(['a']);
    expect(p.inFlight).toBe(2);
  });

  it('resize down under load keeps FIFO within priority and never exceeds the limit', async () => {
    type Op =
      | { kind: 'call'; priority: number }
      | { kind: 'release'; pick: number }
      | { kind: 'resize'; limit: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('call' as const), priority: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('resize' as const), limit: fc.integer({ min: 1, max: 6 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.array(op, { maxLength: 150 }),
        async (initial, ops) => {
          const p = pool({ limit: initial, queueSize: 1_000 });
          // Reference model: running ids, and waiters in arrival order.
          let limit = initial;
          const running: number[] = [];
          const waiting: { id: number; priority: number }[] = [];
          const granted: number[] = [];
          let nextId = 0;
          const expectGrants = (): number[] => {
            const out: number[] = [];
            while (running.length < limit && waiting.length > 0) {
              const top = Math.max(...waiting.map((w) => w.priority));
              const index = waiting.findIndex((w) => w.priority === top);
              const [w] = waiting.splice(index, 1);
              running.push(w!.id);
              out.push(w!.id);
            }
            return out;
          };
          for (const o of ops) {
            let expected: number[] = [];
            if (o.kind === 'call') {
              const id = nextId++;
              if (p.tryAcquire()) {
                expect(running.length).toBeLessThan(limit);
                expect(waiting).toHaveLength(0);
                running.push(id);
              } else {
                waiting.push({ id, priority: o.priority });
                void p.acquire('svc/t', o.priority).then(() => granted.push(id));
              }
            } else if (o.kind === 'release') {
              if (running.length === 0) continue;
              running.splice(o.pick % running.length, 1);
              p.release();
              expected = expectGrants();
            } else {
              limit = o.limit;
              p.setLimit(o.limit);
              expected = expectGrants();
            }
            granted.length = 0;
            await tick();
            expect(granted).toEqual(expected);
            if (expected.length > 0) expect(p.inFlight).toBeLessThanOrEqual(p.limit);
            expect(p.inFlight).toBe(running.length);
            expect(p.queued).toBe(waiting.length);
            // Nobody waits while a slot is free.
            if (p.queued > 0) expect(p.inFlight).toBeGreaterThanOrEqual(p.limit);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses with overloaded and a retry-after hint when the queue is full, leaving the rest untouched', async () => {
    const p = pool({ limit: 1, queueSize: 1 });
    p.tryAcquire();
    p.release(400); // hold time feeds the hint
    p.tryAcquire();
    const granted: string[] = [];
    void wait(p, 'queued', 0, granted);
    const refused = await p.acquire('svc/extra', 0).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ToolscopeError);
    const error = refused as ToolscopeError;
    expect(error.errorType).toBe('overloaded');
    expect(error.message).toContain('svc/extra');
    expect(error.message).toMatch(/overloaded/);
    expect(error.data).toMatchObject({ reason: 'queue_full', pool: 'svc' });
    // One waiting + this one, at 400 ms a slot, one slot.
    expect(error.data?.retryAfterMs).toBe(800);
    expect(p.queued).toBe(1);
    expect(p.inFlight).toBe(1);
    p.release();
    await tick();
    expect(granted).toEqual(['queued']);
    expect(p.snapshot().rejectedQueueFull).toBe(1);
  });

  it('with no queue, refuses every call that cannot start at once', async () => {
    const p = pool({ limit: 1, queueSize: 0 });
    p.tryAcquire();
    await expect(p.acquire('svc/t', 0)).rejects.toMatchObject({ errorType: 'overloaded' });
  });

  it('refuses a call that waited past the queue-time limit and keeps serving the others in order', async () => {
    const clock = new ManualClock();
    const p = pool({ limit: 1, queueTimeoutMs: 1_000, queueOrder: 'fifo' }, clock);
    p.tryAcquire();
    const granted: string[] = [];
    const first = p.acquire('svc/first', 0).catch((e: unknown) => e);
    await clock.advance(500);
    void wait(p, 'second', 0, granted);
    const third = wait(p, 'third', 0, granted).catch((e: unknown) => e);
    await clock.advance(500);
    const error = (await first) as ToolscopeError;
    expect(error.errorType).toBe('overloaded');
    expect(error.data).toMatchObject({ reason: 'queue_timeout' });
    expect(p.queued).toBe(2);
    p.release();
    await tick();
    expect(granted).toEqual(['second']);
    // The granted waiter's deadline is cleared; the one still waiting expires on time.
    await clock.advance(2_000);
    expect(((await third) as ToolscopeError).errorType).toBe('overloaded');
    expect(granted).toEqual(['second']);
    expect(p.inFlight).toBe(1);
    expect(clock.pending).toBe(0);
    expect(p.snapshot().rejectedQueueTimeout).toBe(2);
  });

  it('serves the newest waiter first while the queue stands and callers give up, the oldest again once it empties', async () => {
    const clock = new ManualClock();
    const p = pool({ limit: 1, queueTimeoutMs: 0 }, clock);
    p.tryAcquire();
    const granted: string[] = [];
    // A passing queue: shorter than the standing time (100 ms before any hold time is known).
    void wait(p, 'a', 0, granted);
    void wait(p, 'b', 0, granted);
    await clock.advance(50);
    p.release(50);
    await tick();
    expect(granted).toEqual(['a']);
    // The queue has not emptied for 4 hold times (200 ms): demand beyond what the pool serves. While
    // every caller waits as long as it takes, arrival order holds.
    await clock.advance(200);
    void wait(p, 'c', 0, granted);
    const impatient = new AbortController();
    void wait(p, 'gives-up', 0, granted, impatient.signal).catch(() => undefined);
    void wait(p, 'd', 0, granted);
    p.release(50);
    await tick();
    expect(granted).toEqual(['a', 'b']);
    // A caller gives up in the standing queue: from now on the newest goes first.
    impatient.abort();
    await tick();
    void wait(p, 'late', 0, granted);
    p.release(50);
    await tick();
    expect(granted).toEqual(['a', 'b', 'late']);
    p.release(50);
    await tick();
    expect(granted).toEqual(['a', 'b', 'late', 'd']);
    // Priority still comes first; newest first applies within a priority.
    void wait(p, 'urgent-old', 5, granted);
    void wait(p, 'urgent-new', 5, granted);
    p.release(50);
    await tick();
    expect(granted).toEqual(['a', 'b', 'late', 'd', 'urgent-new']);
    for (let i = 0; i < 2; i++) {
      p.release(50);
      await tick();
    }
    expect(granted).toEqual(['a', 'b', 'late', 'd', 'urgent-new', 'urgent-old', 'c']);
    expect(p.snapshot().servedNewestFirst).toBe(5);
    // Empty now: the next queue is served oldest first again until it stands.
    void wait(p, 'e', 0, granted);
    void wait(p, 'f', 0, granted);
    p.release(50);
    await tick();
    expect(granted.at(-1)).toBe('e');
  });

  it('keeps strict oldest-first order when configured fifo', async () => {
    const clock = new ManualClock();
    const p = pool({ limit: 1, queueTimeoutMs: 0, queueOrder: 'fifo' }, clock);
    p.tryAcquire();
    const granted: string[] = [];
    for (const name of ['a', 'b', 'c']) void wait(p, name, 0, granted);
    await clock.advance(10_000);
    for (let i = 0; i < 3; i++) {
      p.release(50);
      await tick();
    }
    expect(granted).toEqual(['a', 'b', 'c']);
  });

  it('a caller that cancels while queued leaves the queue without disturbing the others', async () => {
    const p = pool({ limit: 1 });
    p.tryAcquire();
    const granted: string[] = [];
    const controller = new AbortController();
    void wait(p, 'a', 0, granted);
    const cancelled = p.acquire('svc/b', 0, controller.signal).catch((e: unknown) => e);
    void wait(p, 'c', 0, granted);
    controller.abort();
    expect(((await cancelled) as ToolscopeError).errorType).toBe('cancelled');
    expect(p.queued).toBe(2);
    p.release();
    await tick();
    p.release();
    await tick();
    expect(granted).toEqual(['a', 'c']);
    expect(p.snapshot().cancelledWhileQueued).toBe(1);
  });

  it('an already-cancelled caller is refused without queueing', async () => {
    const p = pool({ limit: 1 });
    p.tryAcquire();
    await expect(p.acquire('svc/t', 0, AbortSignal.abort())).rejects.toMatchObject({
      errorType: 'cancelled',
    });
    expect(p.queued).toBe(0);
  });

  it('an exclusive pool runs one call at a time and ignores resizes', () => {
    const p = pool({ limit: 8, exclusive: true });
    expect(p.limit).toBe(1);
    p.setLimit(5);
    expect(p.limit).toBe(1);
    expect(p.tryAcquire()).toBe(true);
    expect(p.tryAcquire()).toBe(false);
  });

  it('clamps limits to at least 1, rounds them down and ignores non-finite values', () => {
    const p = pool({ limit: 3 });
    p.setLimit(0);
    expect(p.limit).toBe(1);
    p.setLimit(4.9);
    expect(p.limit).toBe(4);
    p.setLimit(Number.NaN);
    expect(p.limit).toBe(4);
    p.setLimit(Number.POSITIVE_INFINITY);
    expect(p.limit).toBe(4);
  });

  it('a release without a matching acquire does not create capacity', () => {
    const p = pool({ limit: 1 });
    p.release();
    expect(p.inFlight).toBe(0);
    expect(p.tryAcquire()).toBe(true);
    expect(p.tryAcquire()).toBe(false);
  });
});
