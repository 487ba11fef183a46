import { describe, expect, it } from 'vitest';
import { type CpuProfile, topFunctions } from '../../src/profiling/index.js';

const frame = (functionName: string, lineNumber = 0) => ({
  functionName,
  url: 'file:///app.js',
  lineNumber,
  columnNumber: 0,
  scriptId: '1',
});

// (root) → main → hot ; main → fib → fib (recursion) ; (root) → (idle)
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)', -1), children: [2, 6] },
    { id: 2, callFrame: frame('main', 0), children: [3, 4] },
    { id: 3, callFrame: frame('hot', 9), children: [] },
    { id: 4, callFrame: frame('fib', 20), children: [5] },
    { id: 5, callFrame: frame('fib', 20), children: [] },
    { id: 6, callFrame: frame('(idle)', -1), children: [] },
  ],
  startTime: 0,
  endTime: 10_000,
  // Each sample lasts until the next: hot 3 ms, fib(inner) 2 ms, main 1 ms, idle 4 ms.
  samples: [3, 3, 3, 5, 5, 2, 6, 6, 6, 6],
  timeDeltas: [0, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
};

describe('topFunctions', () => {
  it('ranks functions by self time and gives their total time', () => {
    const top = topFunctions(profile);
    expect(top.map((f) => f.functionName)).toEqual(['hot', 'fib', 'main']);
    expect(top[0]).toMatchObject({ selfMs: 3, totalMs: 3, line: 10 });
    expect(top[2]).toMatchObject({ functionName: 'main', selfMs: 1, totalMs: 6 });
  });

  it('counts a recursive function once per sample in its total', () => {
    const fib = topFunctions(profile).find((f) => f.functionName === 'fib')!;
    expect(fib.selfMs).toBe(2);
    expect(fib.totalMs).toBe(2);
  });

  it('leaves out (root) and (idle) and measures shares against busy time', () => {
    const top = topFunctions(profile);
    expect(top.some((f) => f.functionName === '(idle)' || f.functionName === '(root)')).toBe(false);
    expect(top[0]!.selfShare).toBeCloseTo(0.5); // 3 of 6 busy ms
    expect(top[2]!.totalShare).toBeCloseTo(1);
  });

  it('honours the limit and survives an empty profile', () => {
    expect(topFunctions(profile, 1)).toHaveLength(1);
    expect(topFunctions({ nodes: [], startTime: 0, endTime: 0 })).toEqual([]);
  });
});
