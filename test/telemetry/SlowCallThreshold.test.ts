import { describe, expect, it } from 'vitest';
import { SlowCallThreshold } from '../../src/telemetry/index.js';

/** A deterministic uniform source (no Math.random: a failure must reproduce). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('SlowCallThreshold', () => {
  it('calls nothing slow before it has seen minCalls calls', () => {
    const slow = new SlowCallThreshold({ minCalls: 100 });
    const flagged = Array.from({ length: 100 }, (_, i) =>
      slow.observe('tools/call a', i === 99 ? 10_000 : 5),
    );
    expect(flagged.filter(Boolean)).toEqual([]);
    expect(slow.thresholdMs('tools/call a')).toBeDefined();
  });

  it('flags about the slowest 1 % of a lognormal stream, judged against the calls before each', () => {
    const random = lcg(7);
    const slow = new SlowCallThreshold();
    let flagged = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      // lognormal around 20 ms (Box–Muller)
      const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      if (slow.observe('tools/call a', 20 * Math.exp(0.5 * z))) flagged++;
    }
    // Bins are ≈ 9 % wide and the tail's bin is not flagged: at most 1 %, and not far below it.
    expect(flagged / n).toBeLessThanOrEqual(0.0125);
    expect(flagged / n).toBeGreaterThan(0.004);
    // p99 of lognormal(ln 20, 0.5) is 20·e^(0.5·2.326) ≈ 64 ms
    expect(slow.thresholdMs('tools/call a')).toBeGreaterThan(55);
    expect(slow.thresholdMs('tools/call a')).toBeLessThan(75);
  });

  it('keeps each operation apart, and follows a lasting change within a few half-lives', () => {
    const slow = new SlowCallThreshold({ halfLifeCalls: 500 });
    for (let i = 0; i < 1000; i++) {
      slow.observe('fast', 1 + (i % 10) / 10);
      slow.observe('slow', 100 + (i % 10) * 10);
    }
    expect(slow.observe('fast', 5)).toBe(true);
    expect(slow.observe('slow', 5)).toBe(false);
    // The fast operation becomes 50× slower for good: after a while, that is its normal.
    let late = 0;
    for (let i = 0; i < 3000; i++) if (slow.observe('fast', 50 + (i % 10) * 5) && i >= 2000) late++;
    expect(late).toBeLessThan(20);
  });

  it('never flags a constant duration', () => {
    const slow = new SlowCallThreshold();
    const flagged = Array.from({ length: 2000 }, () => slow.observe('x', 3)).filter(Boolean);
    expect(flagged).toEqual([]);
  });

  it('tracks a bounded number of names; later ones are never slow', () => {
    const slow = new SlowCallThreshold({ maxNames: 2, minCalls: 10 });
    for (let i = 0; i < 200; i++) {
      slow.observe('a', 1);
      slow.observe('b', 1);
      slow.observe('c', 1);
    }
    expect(slow.observe('a', 1000)).toBe(true);
    expect(slow.observe('c', 1000)).toBe(false);
  });
});
