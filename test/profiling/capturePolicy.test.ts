import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CaptureRateLimiter,
  heapSites,
  ProfileDirectory,
  planEviction,
  profileFileName,
  type SamplingHeapProfile,
} from '../../src/profiling/index.js';

describe('CaptureRateLimiter', () => {
  const limits = { minIntervalMs: 60_000, maxPerHour: 3 };

  it('runs one capture at a time', () => {
    const l = new CaptureRateLimiter(limits);
    expect(l.tryStart('a', 0, false)).toBeUndefined();
    expect(l.tryStart('b', 1, true)).toBe('busy');
    l.finish();
    expect(l.tryStart('b', 2, false)).toBeUndefined();
  });

  it('keeps a flapping tool from re-triggering before its cooldown', () => {
    const l = new CaptureRateLimiter(limits);
    l.tryStart('a', 0, false);
    l.finish();
    expect(l.tryStart('a', 59_999, false)).toBe('tool_cooldown');
    expect(l.tryStart('a', 60_000, false)).toBeUndefined();
  });

  it('caps automatic captures per rolling hour across tools', () => {
    const l = new CaptureRateLimiter(limits);
    for (const key of ['a', 'b', 'c']) {
      expect(l.tryStart(key, 0, false)).toBeUndefined();
      l.finish();
    }
    expect(l.tryStart('d', 1000, false)).toBe('hourly_budget');
    expect(l.tryStart('d', 3_600_000, false)).toBeUndefined();
  });

  it('lets an operator’s on-demand capture past the cooldown and budget', () => {
    const l = new CaptureRateLimiter({ minIntervalMs: 60_000, maxPerHour: 0 });
    expect(l.tryStart('a', 0, true)).toBeUndefined();
    l.finish();
    expect(l.tryStart('a', 1, true)).toBeUndefined();
  });
});

describe('bounded profile directory', () => {
  it('evicts the oldest files beyond the count and byte limits but keeps the newest', () => {
    const files = [
      { name: 'c', bytes: 10, mtimeMs: 3 },
      { name: 'a', bytes: 10, mtimeMs: 1 },
      { name: 'b', bytes: 10, mtimeMs: 2 },
    ];
    expect(planEviction(files, { maxFiles: 2, maxBytes: 1000 })).toEqual(['a']);
    expect(planEviction(files, { maxFiles: 10, maxBytes: 15 })).toEqual(['a', 'b']);
    expect(planEviction([{ name: 'big', bytes: 99, mtimeMs: 1 }], { maxFiles: 1, maxBytes: 10 })).toEqual([]);
  });

  it('names files safely and sortably', () => {
    const name = profileFileName('svc/../tool name', Date.UTC(2026, 0, 2, 3, 4, 5, 6), '.cpuprofile');
    expect(name).toBe('2026-01-02T03-04-05-006Z-svc_.._tool_name.cpuprofile');
    expect(name).not.toContain('/');
  });

  it('deletes only its own kinds of files on disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'toolscope-dir-'));
    try {
      await writeFile(join(dir, 'keep-me.txt'), 'x');
      const d = new ProfileDirectory(dir, { maxFiles: 2, maxBytes: 1 << 20 });
      for (let i = 0; i < 4; i++) {
        await d.write(`p${i}.cpuprofile`, '{}');
        await utimes(join(dir, `p${i}.cpuprofile`), i + 1, i + 1);
      }
      await d.enforce();
      expect((await readdir(dir)).sort()).toEqual(['keep-me.txt', 'p2.cpuprofile', 'p3.cpuprofile']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('heapSites', () => {
  const f = (functionName: string, lineNumber: number) => ({
    functionName,
    url: 'app.js',
    lineNumber,
    columnNumber: 0,
  });
  const profile = (sizes: Record<string, number>): SamplingHeapProfile => ({
    head: {
      id: 1,
      callFrame: f('(root)', -1),
      selfSize: 0,
      children: Object.entries(sizes).map(([name, selfSize], i) => ({
        id: i + 2,
        callFrame: f(name, i),
        selfSize,
        children: [],
      })),
    },
  });

  it('tells a retaining site from a churning one by allocation and retention rates', () => {
    const sites = heapSites(profile({ leak: 2000, churn: 5000 }), 2, profile({ leak: 900 }), 1);
    const churn = sites.find((s) => s.functionName === 'churn')!;
    const leak = sites.find((s) => s.functionName === 'leak')!;
    expect(sites[0]).toBe(churn); // biggest allocator first
    expect(churn).toMatchObject({ allocatedBytesPerSec: 2500, retainedBytesPerSec: 0, freedShare: 1 });
    expect(leak.retainedBytesPerSec).toBe(900);
    expect(leak.freedShare).toBeCloseTo(0.1);
  });
});
