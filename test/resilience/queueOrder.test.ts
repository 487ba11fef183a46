import { describe, expect, it } from 'vitest';
import { ConcurrencyPool, type QueueOrder } from '../../src/resilience/index.js';
import { ManualClock } from './ManualClock.js';

/**
 * Callers that give up after `deadlineMs` in front of a pool whose limit matches the upstream's
 * workers (as the tuner sets it under saturation). An answer counts when it arrives before its
 * caller gave up; a call admitted is worked on to the end (the upstream does not stop for a caller
 * who left). Simulated time, so the figures do not depend on the machine.
 */
async function goodput(order: QueueOrder, ratePerSec: number, durationMs: number, patient = false) {
  const clock = new ManualClock();
  const serviceMs = 100;
  const deadlineMs = patient ? Number.POSITIVE_INFINITY : 2000;
  const admitted: number[] = [];
  const pool = new ConcurrencyPool({
    id: 'svc',
    limit: 4,
    queueSize: 1000,
    queueTimeoutMs: 0,
    queueOrder: order,
    clock,
  });
  let inTime = 0;
  let offered = 0;
  const every = 1000 / ratePerSec;
  const arrive = (at: number) => {
    offered++;
    const caller = new AbortController();
    if (!patient) clock.setTimer(() => caller.abort(), deadlineMs, undefined);
    pool.acquire('svc/work', 0, caller.signal).then(
      () =>
        admitted.push(at) &&
        clock.setTimer(
          () => {
            if (clock.now() - at <= deadlineMs) inTime++;
            pool.release(serviceMs);
          },
          serviceMs,
          undefined,
        ),
      () => undefined,
    );
  };
  for (let t = 0; t < durationMs; t += every) clock.setTimer(arrive, t, t);
  await clock.advance(durationMs + (patient ? durationMs : deadlineMs) + serviceMs);
  return {
    perSec: (inTime * 1000) / durationMs,
    share: inTime / offered,
    pool: pool.snapshot(),
    admitted,
    offered,
  };
}

describe('pool queue order under callers with deadlines', () => {
  it('keeps goodput near capacity through a sustained overload, where oldest-first collapses', async () => {
    // 4 workers × 100 ms serve 40/s; 48/s arrive for 40 s.
    const fifo = await goodput('fifo', 48, 40_000);
    const adaptive = await goodput('adaptive', 48, 40_000);
    expect(adaptive.perSec).toBeGreaterThan(0.95 * 40);
    // Oldest first: once the queue is 2 s deep every call is served just as its caller gives up.
    expect(fifo.perSec).toBeLessThan(0.5 * 40);
    expect(adaptive.pool.servedNewestFirst).toBeGreaterThan(0);
  });

  it('keeps arrival order for callers that wait as long as it takes, under the same overload', async () => {
    // Agents in a loop do not give up: newest first would only leave some of them waiting until the
    // queue timeout, so the standing queue alone does not reorder it.
    const patient = await goodput('adaptive', 48, 10_000, true);
    expect(patient.admitted).toHaveLength(patient.offered);
    expect(patient.admitted).toEqual([...patient.admitted].sort((a, b) => a - b));
    expect(patient.pool.servedNewestFirst).toBe(0);
  });

  it('changes nothing when the pool keeps up: every call in time, in arrival order', async () => {
    const fifo = await goodput('fifo', 30, 10_000);
    const adaptive = await goodput('adaptive', 30, 10_000);
    expect(adaptive.share).toBe(1);
    expect(fifo.share).toBe(1);
    expect(adaptive.pool.servedNewestFirst).toBe(0);
  });
});
