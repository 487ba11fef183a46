import { describe, expect, it } from 'vitest';
import {
  type BreakerSettings,
  type BreakerStateChange,
  CircuitBreaker,
  Listeners,
  PERMIT_DENIED,
  PERMIT_NORMAL,
  PERMIT_PROBE,
  RollingWindow,
} from '../../src/resilience/index.js';
import { ManualClock } from './ManualClock.js';

const base: BreakerSettings = {
  enabled: true,
  consecutiveFailures: 3,
  failureRate: 0,
  windowMs: 10_000,
  minimumCalls: 4,
  cooldownMs: 5_000,
  halfOpenProbes: 1,
};

function breaker(settings: Partial<BreakerSettings> = {}, clock = new ManualClock()) {
  const listeners = new Listeners<BreakerStateChange>();
  const changes: string[] = [];
  listeners.add((c) => changes.push(`${c.from}->${c.to}:${c.reason}`));
  const b = new CircuitBreaker(
    { id: 'svc/t', scope: 'tool', service: 'svc', tool: 't' },
    { ...base, ...settings },
    clock,
    listeners,
  );
  return { b, clock, changes };
}

function fail(b: CircuitBreaker, n = 1) {
  for (let i = 0; i < n; i++) b.failure(b.tryAcquire());
}
function succeed(b: CircuitBreaker, n = 1) {
  for (let i = 0; i < n; i++) b.success(b.tryAcquire());
}

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures; a success in between resets the count', () => {
    const { b, changes } = breaker();
    fail(b, 2);
    succeed(b);
    fail(b, 2);
    expect(b.state).toBe('closed');
    fail(b);
    expect(b.state).toBe('open');
    expect(changes).toEqual(['closed->open:consecutive_failures']);
  });

  it('opens on the failure rate over the window, only once the minimum number of calls is reached', () => {
    const { b, changes } = breaker({ consecutiveFailures: 0, failureRate: 0.5, minimumCalls: 4 });
    fail(b);
    succeed(b);
    fail(b);
    expect(b.state).toBe('closed'); // 2/3 failed, but only 3 calls
    succeed(b);
    expect(b.state).toBe('closed'); // 2/4: the check runs on failures
    fail(b);
    expect(b.state).toBe('open'); // 3/5
    expect(changes).toEqual(['closed->open:failure_rate']);
  });

  it('forgets failures that slid out of the window', async () => {
    const { b, clock } = breaker({
      consecutiveFailures: 0,
      failureRate: 0.5,
      minimumCalls: 4,
      windowMs: 10_000,
    });
    fail(b, 3);
    await clock.advance(11_000);
    succeed(b, 3);
    fail(b);
    expect(b.state).toBe('closed'); // 1/4 within the window
    expect(b.snapshot()).toMatchObject({ windowCalls: 4, windowFailures: 1 });
  });

  it('fails fast while open and counts down the retry-after hint', async () => {
    const { b, clock } = breaker();
    fail(b, 3);
    expect(b.tryAcquire()).toBe(PERMIT_DENIED);
    expect(b.retryAfterMs()).toBe(5_000);
    await clock.advance(2_000);
    expect(b.tryAcquire()).toBe(PERMIT_DENIED);
    expect(b.retryAfterMs()).toBe(3_000);
    expect(b.snapshot().rejected).toBe(2);
  });

  it('after the cool-down lets halfOpenProbes trial calls through, refuses the rest, and closes when they succeed', async () => {
    const { b, clock, changes } = breaker({ halfOpenProbes: 2 });
    fail(b, 3);
    await clock.advance(5_000);
    expect(b.state).toBe('half_open');
    const p1 = b.tryAcquire();
    const p2 = b.tryAcquire();
    expect([p1, p2]).toEqual([PERMIT_PROBE, PERMIT_PROBE]);
    expect(b.tryAcquire()).toBe(PERMIT_DENIED);
    expect(b.retryAfterMs()).toBeGreaterThan(0);
    b.success(p1);
    expect(b.state).toBe('half_open');
    b.success(p2);
    expect(b.state).toBe('closed');
    expect(changes).toEqual([
      'closed->open:consecutive_failures',
      'open->half_open:cooldown_elapsed',
      'half_open->closed:probes_succeeded',
    ]);
    // Closed again with a clean slate.
    fail(b, 2);
    expect(b.state).toBe('closed');
  });

  it('a failed trial call reopens the breaker for another full cool-down', async () => {
    const { b, clock, changes } = breaker();
    fail(b, 3);
    await clock.advance(5_000);
    b.failure(b.tryAcquire());
    expect(b.state).toBe('open');
    await clock.advance(4_999);
    expect(b.state).toBe('open');
    await clock.advance(1);
    expect(b.state).toBe('half_open');
    expect(changes.at(-2)).toBe('half_open->open:probe_failed');
    expect(b.snapshot().opened).toBe(2);
  });

  it('a released trial call frees its slot for another', async () => {
    const { b, clock } = breaker();
    fail(b, 3);
    await clock.advance(5_000);
    const probe = b.tryAcquire();
    expect(b.tryAcquire()).toBe(PERMIT_DENIED);
    b.release(probe);
    expect(b.tryAcquire()).toBe(PERMIT_PROBE);
  });

  it('a late success from before the breaker opened does not close it', async () => {
    const { b, clock } = breaker();
    const early = b.tryAcquire();
    expect(early).toBe(PERMIT_NORMAL);
    fail(b, 3);
    await clock.advance(5_000);
    expect(b.state).toBe('half_open');
    b.success(early);
    expect(b.state).toBe('half_open');
  });

  it('a disabled breaker never opens', () => {
    const { b } = breaker({ enabled: false });
    fail(b, 100);
    expect(b.state).toBe('closed');
  });

  it('reset closes an open breaker and tells listeners', () => {
    const { b, changes } = breaker();
    fail(b, 3);
    b.reset();
    expect(b.state).toBe('closed');
    expect(changes.at(-1)).toBe('open->closed:reset');
  });
});

describe('RollingWindow', () => {
  it('slides in bucket steps', () => {
    const w = new RollingWindow(1_000, 10);
    w.record(0, true);
    w.record(450, false);
    expect(w.calls(999)).toBe(2);
    expect(w.calls(1_000)).toBe(1); // the first bucket (0–99 ms) expired
    expect(w.failures(1_000)).toBe(0);
    expect(w.calls(5_000)).toBe(0);
  });
});
