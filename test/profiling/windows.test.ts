import { describe, expect, it } from 'vitest';
import { GcOverlapTracker, InFlightWindow } from '../../src/profiling/index.js';

describe('InFlightWindow', () => {
  it('gives a lone call a mean of 1', () => {
    const w = new InFlightWindow();
    const m = w.enter(0);
    expect(w.leave(m, 100)).toBe(1);
    expect(w.inFlight).toBe(0);
  });

  it('gives the time-weighted mean of calls sharing the window', () => {
    const w = new InFlightWindow();
    const a = w.enter(0);
    const b = w.enter(50); // b overlaps the second half of a
    expect(w.leave(a, 100)).toBeCloseTo(1.5);
    const c = w.enter(100);
    expect(w.leave(b, 150)).toBeCloseTo(2); // 50 ms with a, 50 ms with c
    expect(w.leave(c, 200)).toBeCloseTo(1.5);
  });

  it('counts the in-flight number for a zero-length window', () => {
    const w = new InFlightWindow();
    w.enter(5);
    const b = w.enter(10);
    expect(w.leave(b, 10)).toBe(2);
  });
});

describe('GcOverlapTracker', () => {
  it('sums only the parts of GC pauses inside the window', () => {
    const t = new GcOverlapTracker(8);
    t.record(0, 10); // before
    t.record(95, 10); // straddles the start: 5 ms inside
    t.record(120, 3); // inside
    t.record(198, 4); // straddles the end: 2 ms inside
    t.record(300, 5); // after
    expect(t.overlap(100, 200)).toBeCloseTo(10);
  });

  it('remembers only its capacity, newest first', () => {
    const t = new GcOverlapTracker(2);
    for (let i = 0; i < 5; i++) t.record(i * 10, 1);
    expect(t.overlap(0, 100)).toBe(2);
  });
});
