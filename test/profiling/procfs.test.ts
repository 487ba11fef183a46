import { describe, expect, it } from 'vitest';
import {
  childrenIndex,
  descendants,
  inferPageSize,
  type ProcStat,
  parseChildren,
  parseProcStat,
  sumTree,
  treeDelta,
  utilization,
} from '../../src/profiling/index.js';

const line = (
  pid: number,
  comm: string,
  ppid: number,
  utime: number,
  stime: number,
  extra: Partial<Record<'cutime' | 'cstime' | 'start' | 'rss', number>> = {},
) =>
  `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560 1000 0 0 0 ${utime} ${stime} ${extra.cutime ?? 0} ${extra.cstime ?? 0} 20 0 7 0 ${extra.start ?? 5000} 1000000000 ${extra.rss ?? 2560} 18446744073709551615 1 1 0 0 0 0 0 16781312 17922 0 0 0 17 1 0 0 0 0 0`;

const stat = (text: string): ProcStat => parseProcStat(text)!;

describe('parseProcStat', () => {
  it('reads pid, ppid, CPU ticks, start time and RSS pages', () => {
    const s = stat(line(4242, 'node', 1, 120, 30, { cutime: 5, cstime: 2, start: 777, rss: 4096 }));
    expect(s).toMatchObject({
      pid: 4242,
      comm: 'node',
      state: 'S',
      ppid: 1,
      utime: 120,
      stime: 30,
      cutime: 5,
      cstime: 2,
      starttime: 777,
      rssPages: 4096,
    });
  });

  it('survives command names with spaces and parentheses', () => {
    const s = stat(line(7, 'my (weird) name) x', 3, 9, 1));
    expect(s.comm).toBe('my (weird) name) x');
    expect(s.ppid).toBe(3);
    expect(s.utime).toBe(9);
  });

  it('refuses text that is not a stat line', () => {
    expect(parseProcStat('')).toBeUndefined();
    expect(parseProcStat('12 (x) S 1 2')).toBeUndefined();
  });

  it('parses this process’s real /proc/self/stat', async () => {
    if (process.platform !== 'linux') return;
    const { readFileSync } = await import('node:fs');
    const s = parseProcStat(readFileSync('/proc/self/stat', 'latin1'));
    expect(s?.pid).toBe(process.pid);
    expect(s?.ppid).toBe(process.ppid);
  });
});

describe('process tree', () => {
  it('parses children files', () => {
    expect(parseChildren('12 13 \n')).toEqual([12, 13]);
    expect(parseChildren('')).toEqual([]);
  });

  it('walks descendants breadth first, ignoring cycles and bounded by a limit', () => {
    const tree: Record<number, number[]> = { 1: [2, 3], 2: [4], 4: [1], 3: [] };
    expect(descendants([1], (pid) => tree[pid] ?? [])).toEqual([1, 2, 3, 4]);
    expect(descendants([1], (pid) => tree[pid] ?? [], 2)).toHaveLength(2);
  });

  it('indexes children by parent from a full scan', () => {
    const index = childrenIndex([
      stat(line(2, 'a', 1, 0, 0)),
      stat(line(3, 'b', 1, 0, 0)),
      stat(line(4, 'c', 2, 0, 0)),
    ]);
    expect(index.get(1)).toEqual([2, 3]);
    expect(descendants([2], (pid) => index.get(pid) ?? [])).toEqual([2, 4]);
  });
});

describe('tree CPU between two samples', () => {
  const page = 4096;

  it('sums the growth of every process in both samples, in µs, user and system apart', () => {
    const a = sumTree(0, [stat(line(10, 'sh', 1, 1, 1)), stat(line(11, 'node', 10, 100, 10))], page);
    const b = sumTree(1000, [stat(line(10, 'sh', 1, 1, 1)), stat(line(11, 'node', 10, 150, 12))], page);
    expect(treeDelta(a, b)).toEqual({ userMicros: 500_000, systemMicros: 20_000, windowMs: 1000 });
    expect(utilization(a, b)).toBeCloseTo(0.52);
  });

  it('does not charge a newly discovered process’s history to the window', () => {
    const a = sumTree(0, [stat(line(10, 'sh', 1, 1, 1))], page);
    const b = sumTree(100, [stat(line(10, 'sh', 1, 1, 1)), stat(line(11, 'node', 10, 900, 90))], page);
    expect(treeDelta(a, b).userMicros).toBe(0);
  });

  it('keeps an exited, reaped child’s last moments and not its history', () => {
    // Child 11 had 100 ticks at `a`, ran 20 more, exited; its parent reaped 120 ticks into cutime.
    const a = sumTree(0, [stat(line(10, 'sh', 1, 1, 0)), stat(line(11, 'node', 10, 100, 0))], page);
    const b = sumTree(500, [stat(line(10, 'sh', 1, 1, 0, { cutime: 120 }))], page);
    expect(treeDelta(a, b).userMicros).toBe(200_000);
  });

  it('treats a reused pid as a different process', () => {
    const a = sumTree(0, [stat(line(11, 'node', 10, 500, 0, { start: 100 }))], page);
    const b = sumTree(100, [stat(line(11, 'node', 10, 3, 0, { start: 900 }))], page);
    expect(treeDelta(a, b).userMicros).toBe(0); // never negative
  });

  it('sums RSS pages into bytes', () => {
    expect(
      sumTree(0, [stat(line(1, 'a', 0, 0, 0, { rss: 10 })), stat(line(2, 'b', 1, 0, 0, { rss: 5 }))], page)
        .rssBytes,
    ).toBe(15 * page);
  });

  it('infers the page size from one RSS figure in bytes and pages', () => {
    expect(inferPageSize(4096 * 1000 + 17, 1000)).toBe(4096);
    expect(inferPageSize(65536 * 10, 10)).toBe(65536);
    expect(inferPageSize(0, 0)).toBe(4096);
  });
});
